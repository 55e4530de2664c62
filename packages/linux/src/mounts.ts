/**
 * MountService on the real kernel: mount(2)/umount2(2) through koffi, the mount table
 * from /proc/self/mountinfo.
 */
import { readFile, realpath } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { IdmappedBind, MountEntry, MountFlag, MountService, MountSpec } from '@vzkit/core';
import { constants } from 'node:os';
import { vzError } from '@vzkit/core';
import { kernelError } from './errno.js';
import { attachLoop, refreshLoopCapacity } from './loop.js';
import { isMountRoot, MNT_DETACH, MS, mount, umount2 } from './syscalls.js';

const EINVAL = constants.errno.EINVAL;

/** One mountinfo line, with the fields MountEntry leaves out. */
export interface MountInfoEntry extends MountEntry {
  /** major:minor of the filesystem. */
  device: string;
  /** The directory of the filesystem that is mounted here (not `/` for bind mounts of a subdirectory). */
  root: string;
  /** Per-mount options (rw, nosuid, relatime, ...). */
  mountOptions: string;
  /** Optional fields: propagation (`shared:1`, `master:2`, `unbindable`). */
  propagation: string[];
  /** Options of the filesystem itself. */
  superOptions: string;
}

const FLAG_BITS: Record<MountFlag, number> = {
  rdonly: MS.RDONLY,
  nosuid: MS.NOSUID,
  nodev: MS.NODEV,
  noexec: MS.NOEXEC,
  relatime: MS.RELATIME,
  noatime: MS.NOATIME,
  strictatime: MS.STRICTATIME,
  bind: MS.BIND,
  rec: MS.REC,
  remount: MS.REMOUNT,
  private: MS.PRIVATE,
  slave: MS.SLAVE,
  shared: MS.SHARED,
  unbindable: MS.UNBINDABLE,
  move: MS.MOVE,
};

/** Per-mount flags the kernel ignores on MS_BIND: applied by a second, remount call. */
const BIND_REMOUNT_BITS = MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC | MS.NOATIME | MS.RELATIME;

export function mountFlagBits(flags: readonly MountFlag[] = []): number {
  return flags.reduce((bits, f) => bits | FLAG_BITS[f], 0);
}

/** The kernel writes space, tab, newline and backslash in paths as `\040`-style octal. */
export function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

function mergeOptions(mountOptions: string, superOptions: string): string {
  const seen = new Set(mountOptions.split(','));
  const extra = superOptions.split(',').filter((o) => o && o !== 'rw' && o !== 'ro' && !seen.has(o));
  return [mountOptions, ...extra].filter(Boolean).join(',');
}

/** Parses /proc/PID/mountinfo (proc(5)); malformed lines are skipped. */
export function parseMountInfo(text: string): MountInfoEntry[] {
  const entries: MountInfoEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const sep = fields.indexOf('-', 6);
    if (sep < 0 || fields.length < sep + 3) continue;
    const [id, parent, device, root, target, mountOptions] = fields;
    const fstype = fields[sep + 1]!;
    const source = fields[sep + 2]!;
    const superOptions = fields[sep + 3] ?? '';
    entries.push({
      id: Number(id),
      parent: Number(parent),
      device: device!,
      root: unescapeMountField(root!),
      target: unescapeMountField(target!),
      mountOptions: mountOptions!,
      propagation: fields.slice(6, sep),
      fstype: unescapeMountField(fstype),
      source: unescapeMountField(source),
      superOptions,
      options: mergeOptions(mountOptions!, superOptions),
    });
  }
  return entries;
}

export async function readMountInfo(pid: number | 'self' = 'self'): Promise<MountInfoEntry[]> {
  return parseMountInfo(await readFile(`/proc/${pid}/mountinfo`, 'utf8'));
}

/** Absolute, symlink-free form of a path, as mountinfo shows it (as is when it does not exist). */
export async function canonicalPath(path: string): Promise<string> {
  return realpath(path).catch(() => resolve(path));
}

/** True when `path` is `dir` or lies below it. */
export function isUnder(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir === '/' ? '/' : `${dir}/`);
}

export class LinuxMountService implements MountService {
  /**
   * @param idmapper mounts an idmapped bind: it needs a user namespace with the maps
   *   written, which takes a process, so the native launcher does it.
   */
  constructor(private readonly idmapper?: (spec: IdmappedBind) => Promise<void>) {}

  async bindIdmapped(spec: IdmappedBind): Promise<void> {
    if (!this.idmapper) throw vzError('UNSUPPORTED', `idmapped mount of ${spec.source}: no launcher to make it`);
    return this.idmapper(spec);
  }

  /**
   * Mounts; `cwd` makes relative paths in `data` (overlay lowerdir/upperdir) resolve from
   * that directory, so /proc/mounts in the VE shows no host path. The process's working
   * directory is borrowed for the one synchronous call and always restored.
   */
  async mount(spec: MountSpec): Promise<void> {
    const bits = mountFlagBits(spec.flags);
    if (spec.loop) return this.mountLoop(spec, bits);
    const previous = spec.cwd ? process.cwd() : undefined;
    if (spec.cwd) process.chdir(spec.cwd);
    try {
      mount(spec.source, spec.target, spec.fstype ?? null, bits, spec.data ?? null);
    } finally {
      if (previous !== undefined) process.chdir(previous);
    }
    if (bits & MS.BIND && !(bits & MS.REMOUNT) && bits & BIND_REMOUNT_BITS) {
      mount(null, spec.target, null, MS.REMOUNT | MS.BIND | (bits & BIND_REMOUNT_BITS), null);
    }
  }

  /** The image on an autoclear loop device, mounted; our hold on the device ends either way. */
  private async mountLoop(spec: MountSpec, bits: number): Promise<void> {
    const loop = attachLoop(spec.source, { readOnly: (bits & MS.RDONLY) !== 0 });
    try {
      mount(loop.device, spec.target, spec.fstype ?? null, bits, spec.data ?? null);
    } finally {
      loop.release();
    }
  }

  async refreshLoop(device: string): Promise<void> {
    refreshLoopCapacity(device);
  }

  async umount(target: string, opts: { detach?: boolean; recursive?: boolean } = {}): Promise<void> {
    const flags = opts.detach ? MNT_DETACH : 0;
    if (!opts.recursive) return umount2(target, flags);
    const top = await canonicalPath(target);
    // Deepest first; at one target, the latest mount (highest id) is the one on top.
    const below = (await this.list())
      .filter((e) => isUnder(e.target, top))
      .sort((a, b) => depth(b.target) - depth(a.target) || b.id - a.id);
    // Same answer as umount2 on a path with nothing mounted.
    if (below.length === 0) throw kernelError('UMOUNT_FAILED', `umount ${target}`, EINVAL, target);
    for (const entry of below) umount2(entry.target, flags);
  }

  list(): Promise<MountInfoEntry[]> {
    return readMountInfo();
  }

  /**
   * From one statx of the path where the kernel tells (5.8+): the mount table it
   * replaces grows with every running VE, and a start asks several times.
   */
  async isMountPoint(path: string): Promise<boolean> {
    const root = await isMountRoot(path);
    if (root !== undefined) return root;
    const target = await canonicalPath(path);
    return (await this.list()).some((e) => e.target === target);
  }
}

function depth(path: string): number {
  return path === '/' ? 0 : path.split('/').length - 1;
}
