/**
 * Block storage of the fake kernel: filesystems made in image files (a test's fake mkfs
 * calls FakeHost.formatImage), loop devices that attach an image for a `loop` mount and
 * detach themselves once nothing mounts it any more (autoclear), and what statfs reports:
 * the size a filesystem was given and the blocks and inodes its files take. Writes that
 * would need more fail with ENOSPC (fake-vnode.ts).
 */
import type { BlockDevice, FsStats } from '@vzkit/core';
import { fault } from './fake-errors.js';
import type { FakeKernel } from './fake-kernel.js';
import { OvNode } from './fake-overlay.js';
import { Inode, newFilesystem, usageOf, type FsCapacity, type Superblock, type Vnode } from './fake-vnode.js';

/** Filesystems without a size of their own report this much (the host's disk). */
const UNSIZED: FsCapacity = { blockSize: 4096, blocks: 2 ** 26, files: 2 ** 24 };

/** statfs(2) of a filesystem; an overlay reports its upper layer's numbers, as the kernel does. */
export function statfsOf(sb: Superblock): FsStats {
  let data = sb;
  if (sb.fstype === 'overlay' && sb.root instanceof OvNode && sb.root.upper) data = sb.root.upper.sb;
  const cap = data.capacity ?? UNSIZED;
  const used = usageOf(data);
  const free = Math.max(0, cap.blocks - used.blocks);
  return {
    type: sb.fstype,
    blockSize: cap.blockSize,
    blocks: cap.blocks,
    blocksFree: free,
    blocksAvailable: Math.max(0, free - (data.reserved?.() ?? 0)),
    files: cap.files,
    filesFree: cap.files > 0 ? Math.max(0, cap.files - used.files) : 0,
  };
}

export interface FakeLoop {
  /** `/dev/loop3` */
  device: string;
  /** The image file as given to the mount. */
  file: string;
  /** Bytes the device offers: the file's size when attached or last refreshed. */
  size: number;
  sb: Superblock;
  node: Vnode;
}

export class FakeDisks {
  /** The filesystem in each formatted image file. */
  private readonly images = new Map<Vnode, { sb: Superblock; path: string }>();
  readonly loops = new Map<number, FakeLoop>();

  constructor(private readonly k: FakeKernel) {}

  /** Makes a new, empty filesystem in the image file `node` (a fake mkfs). */
  format(node: Vnode, path: string, fstype: string, capacity: FsCapacity): Superblock {
    if (node.type !== 'file') throw fault('EINVAL', path);
    const sb = newFilesystem(this.k.anonDev(), fstype, path);
    sb.capacity = { ...capacity };
    if (fstype.startsWith('ext')) (sb.root as Inode).create('lost+found', { type: 'dir', mode: 0o700 });
    this.images.set(node, { sb, path });
    return sb;
  }

  image(node: Vnode): Superblock | undefined {
    return this.images.get(node)?.sb;
  }

  /** Attaches an image to the first free loop device, for a mount of `fstype`. */
  attach(node: Vnode, path: string, fstype: string): FakeLoop {
    const sb = this.images.get(node)?.sb;
    // The kernel finds no filesystem of that type on the device: mount(8)'s "wrong fs type".
    if (!sb || sb.fstype !== fstype) throw fault('EINVAL', path);
    if ([...this.loops.values()].some((l) => l.sb === sb)) throw fault('EBUSY', path);
    let n = 0;
    while (this.loops.has(n)) n++;
    const loop: FakeLoop = { device: `/dev/loop${n}`, file: path, size: node.meta().size, sb, node };
    sb.source = loop.device;
    this.loops.set(n, loop);
    this.sysfsDir(['block', `loop${n}`]).create('dev', { type: 'file', mode: 0o444, data: new TextEncoder().encode(`7:${n}\n`) });
    if (fstype === 'ext4') this.ext4Sysfs(sb, `loop${n}`);
    return loop;
  }

  /** A directory of the fake sysfs, made when missing. */
  private sysfsDir(parts: string[]): Inode {
    let dir = this.k.sysfs.root as Inode;
    for (const part of parts) dir = (dir.children.get(part) ?? dir.create(part, { type: 'dir', mode: 0o755 })) as Inode;
    return dir;
  }

  /**
   * /sys/fs/ext4/loopN/reserved_clusters of a mounted ext4: ext4's own reserve (2 %, at
   * most 4096 clusters), writable, and held by every write as the kernel holds it.
   */
  private ext4Sysfs(sb: Superblock, name: string): void {
    const dir = this.sysfsDir(['fs', 'ext4', name]);
    const blocks = sb.capacity?.blocks ?? 0;
    const file = (dir.children.get('reserved_clusters') as Inode | undefined) ?? (dir.create('reserved_clusters', { type: 'file', mode: 0o644 }) as Inode);
    file.data = new TextEncoder().encode(`${Math.min(Math.floor(blocks / 50), 4096)}\n`);
    sb.reserved = () => Number(new TextDecoder().decode(file.data).trim()) || 0;
  }

  /** Autoclear: loop devices whose filesystem no namespace mounts any more go away. */
  release(): void {
    const inUse = new Set<Superblock>();
    const spaces = new Set([this.k.hostNs.mnt, ...this.k.processes.liveIn(this.k.hostNs.pid).map((p) => p.ns.mnt)]);
    for (const ns of spaces) for (const m of ns.mounts) inUse.add(m.sb);
    for (const [n, l] of this.loops) {
      if (inUse.has(l.sb)) continue;
      this.loops.delete(n);
      l.sb.reserved = undefined;
      this.sysfsDir(['fs', 'ext4']).children.delete(`loop${n}`);
      this.sysfsDir(['block']).children.delete(`loop${n}`);
    }
  }

  /** The whole disks a filesystem lives on (HostFs.disks): its loop device, or the disk of its partition. */
  disksOf(sb: Superblock): BlockDevice[] {
    for (const [n, l] of this.loops) if (l.sb === sb) return [{ major: 7, minor: n, name: `loop${n}` }];
    // Block-device filesystems carry (major << 8 | minor); anonymous ones (tmpfs, overlay) major 0.
    const disk = this.k.disk(sb.dev >> 8, sb.dev & 0xff);
    return disk ? [{ major: disk.major, minor: disk.minor, name: disk.name }] : [];
  }

  loopOf(device: string): FakeLoop | undefined {
    return [...this.loops.values()].find((l) => l.device === device);
  }

  /** LOOP_SET_CAPACITY: the device takes its file's current size. */
  refresh(device: string): void {
    const loop = this.loopOf(device);
    if (!loop) throw fault('ENXIO', device);
    loop.size = loop.node.meta().size;
  }

  /** The file an image path names, as the host sees it. */
  fileOf(path: string): Vnode | undefined {
    return [...this.images].find(([, v]) => v.path === path)?.[0];
  }
}
