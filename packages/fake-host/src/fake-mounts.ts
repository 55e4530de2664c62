/**
 * mount(2), umount2(2) and pivot_root(2) of the fake kernel, run as one process in its
 * mount namespace, and the MountService of the calling process (the host's namespace).
 * Bind mounts show the source's files; overlays merge their layers (fake-overlay.ts);
 * proc, sysfs, tmpfs and block-device filesystems are what those types are. As in the
 * kernel, `rdonly` is ignored on the first bind (it takes a bind remount) and every
 * mount here is private: no propagation between namespaces.
 */
import { vzError, type IdmappedBind, type MountEntry, type MountFlag, type MountService, type MountSpec } from '@vzkit/core';
import { fault, kernelError, KernelFault } from './fake-errors.js';
import type { FakeKernel } from './fake-kernel.js';
import { Mount, type MountNs, type Walk } from './fake-mount-table.js';
import { overlayRoot, parseOverlayData } from './fake-overlay.js';
import { ProcSuperblock } from './fake-procfs.js';
import type { FakeProcess } from './fake-process.js';
import { isUnder, newFilesystem, normalizePath, Superblock } from './fake-vnode.js';

const PER_MOUNT: readonly MountFlag[] = ['rdonly', 'nosuid', 'nodev', 'noexec', 'noatime', 'relatime', 'strictatime'];
const PROPAGATION = ['private', 'shared', 'slave', 'unbindable'] as const;
const EMPTY_FS = new Set(['tmpfs', 'ramfs', 'devpts', 'mqueue', 'cgroup', 'cgroup2', 'binfmt_misc', 'securityfs', 'debugfs', 'tracefs']);
const DISK_FS = new Set(['ext2', 'ext3', 'ext4', 'xfs', 'btrfs', 'vfat']);

function perMount(flags: Set<MountFlag>): Set<MountFlag> {
  return new Set([...flags].filter((f) => PER_MOUNT.includes(f)));
}

/** Mount `m` and its submounts get new paths: `from` prefix replaced by `to`. */
function rebase(ms: Mount[], from: string, to: string): void {
  for (const s of ms) {
    const rest = from === '/' ? s.target : s.target.slice(from.length);
    s.target = to === '/' ? (rest === '' ? '/' : rest) : `${to}${rest === '/' ? '' : rest}`;
  }
}

function newSuperblock(k: FakeKernel, p: FakeProcess, spec: MountSpec, fstype: string): Superblock {
  const ns = p.ns.mnt;
  const data = spec.data ?? '';
  if (fstype === 'proc') return new ProcSuperblock(k.anonDev(), spec.source || 'proc', p.ns.pid, k);
  if (fstype === 'sysfs') return k.sysfs;
  if (fstype === 'devtmpfs') return k.devfs;
  if (EMPTY_FS.has(fstype) || fstype.startsWith('fuse.')) {
    const mode = /(?:^|,)mode=([0-7]+)/.exec(data);
    const sb = newFilesystem(k.anonDev(), fstype, spec.source || fstype, data, mode ? parseInt(mode[1]!, 8) : 0o1777);
    if (fstype === 'devpts') sb.root.create('ptmx', { type: 'char', mode: 0o000, rdev: [5, 2] }, p);
    return sb;
  }
  if (fstype === 'overlay') {
    const o = parseOverlayData(data);
    if (o.lower.length === 0) throw fault('EINVAL');
    const base = normalizePath(spec.cwd ?? p.cwd, p.cwd);
    const dirAt = (path: string): Walk => {
      const w = ns.walk(normalizePath(path, base), p);
      if (w.node.type !== 'dir') throw fault('ENOTDIR', path);
      return w;
    };
    const lowers = o.lower.map(dirAt);
    let upper: Walk | undefined;
    if (o.upper !== undefined) {
      if (o.work === undefined) throw fault('EINVAL');
      upper = dirAt(o.upper);
      const work = dirAt(o.work);
      // Overlayfs wants both on one filesystem mount, neither inside the other.
      if (upper.mount !== work.mount || isUnder(upper.path, work.path) || isUnder(work.path, upper.path)) throw fault('EINVAL');
      if (upper.mount.readonly) throw fault('EROFS');
      if (!work.node.lookup('work', p)) work.node.create('work', { type: 'dir', mode: 0 }, p);
    }
    const sb = new Superblock(k.anonDev(), 'overlay', spec.source || 'overlay', data);
    sb.root = overlayRoot(sb, upper?.node, lowers.map((l) => l.node));
    return sb;
  }
  if (spec.loop) {
    const file = ns.walk(normalizePath(spec.source, p.cwd), p);
    if (file.node.type !== 'file') throw fault(file.node.type === 'dir' ? 'EISDIR' : 'EINVAL', spec.source);
    const sb = k.disks.attach(file.node, normalizePath(spec.source, p.cwd), fstype).sb;
    sb.options = spec.data ?? '';
    return sb;
  }
  if (DISK_FS.has(fstype)) {
    const dev = ns.walk(normalizePath(spec.source, p.cwd), p);
    if (dev.node.type !== 'block') throw fault('ENOTBLK', spec.source);
    const sb = k.blockDeviceFs(dev.node, fstype, spec.source);
    if (sb.fstype !== fstype) throw fault('EINVAL');
    return sb;
  }
  throw fault('ENODEV');
}

/**
 * mount(2) as process `p`. `sourceFrom`: the process whose view a bind's source is
 * taken in (a host path cloned with open_tree before joining the VE: the launcher's inject).
 */
export function mountIn(k: FakeKernel, p: FakeProcess, spec: MountSpec, sourceFrom: FakeProcess = p, made?: Superblock): void {
  const ns = p.ns.mnt;
  const flags = new Set(spec.flags ?? []);
  const target = normalizePath(spec.target, p.cwd);
  k.faults.check('mount', target);
  p.checkMountAllowed(target);
  const at = ns.walk(target, p);
  const mountHere = (): Mount => {
    const m = ns.mountAt(at);
    if (!m) throw fault('EINVAL', target);
    return m;
  };

  if (flags.has('remount')) {
    const m = mountHere();
    const keep = flags.has('bind') ? new Set<MountFlag>() : new Set([...m.flags].filter((f) => !PER_MOUNT.includes(f)));
    m.flags = new Set([...keep, ...perMount(flags)]);
    return;
  }
  if (flags.has('move')) {
    const from = ns.walk(normalizePath(spec.source, p.cwd), p);
    const m = ns.mountAt(from);
    if (!m || m === ns.root) throw fault('EINVAL', spec.source);
    if (isUnder(at.path, from.path)) throw fault('ELOOP', target);
    const moved = ns.subtree(m);
    ns.remove(moved);
    rebase(moved, from.path, at.path);
    m.parent = at.mount;
    ns.mounts.push(...moved);
    return;
  }
  const prop = PROPAGATION.find((f) => flags.has(f));
  if (prop && !flags.has('bind')) {
    const m = mountHere();
    for (const s of flags.has('rec') ? ns.subtree(m) : [m]) s.propagation = prop;
    return;
  }
  if (flags.has('bind')) {
    const srcNs = sourceFrom.ns.mnt;
    const src = srcNs.walk(normalizePath(spec.source, sourceFrom.cwd), sourceFrom);
    if ((src.node.type === 'dir') !== (at.node.type === 'dir')) throw fault('ENOTDIR', target);
    const rel = src.mount.target === '/' ? src.path : src.path.slice(src.mount.target.length);
    const fsPath = normalizePath(`${src.mount.fsPath}/${rel}`);
    const flagsNoRo = perMount(flags);
    flagsNoRo.delete('rdonly');
    const top = new Mount(k.nextMountId(), at.mount, at.path, src.node, src.node.sb, flagsNoRo, fsPath);
    const added = [top];
    if (flags.has('rec')) {
      const copies = new Map<Mount, Mount>([[src.mount, top]]);
      for (const s of srcNs.subtree(src.mount).slice(1)) {
        const parent = s.parent && copies.get(s.parent);
        if (!parent || !isUnder(s.target, src.path)) continue;
        const c = new Mount(k.nextMountId(), parent, s.target, s.root, s.sb, new Set(s.flags), s.fsPath);
        rebase([c], src.path, at.path);
        copies.set(s, c);
        added.push(c);
      }
    }
    ns.mounts.push(...added);
    return;
  }
  if (!spec.fstype) throw fault('EINVAL', target);
  if (at.node.type !== 'dir') throw fault('ENOTDIR', target);
  // `made`: a filesystem its driver built already (a FUSE server's).
  const sb = made ?? newSuperblock(k, p, spec, spec.fstype);
  ns.mounts.push(new Mount(k.nextMountId(), at.mount, at.path, sb.root, sb, perMount(flags), '/'));
}

/** umount2(2) as process `p`: EINVAL if not a mount point, EBUSY with submounts unless detach/recursive. */
export function umountIn(k: FakeKernel, p: FakeProcess, target: string, opts: { detach?: boolean; recursive?: boolean } = {}): void {
  const ns = p.ns.mnt;
  const abs = normalizePath(target, p.cwd);
  k.faults.check('umount', abs);
  p.checkMountAllowed(abs);
  const m = ns.mountAt(ns.walk(abs, p));
  if (!m) throw fault('EINVAL', abs);
  if (m === ns.root) throw fault('EBUSY', abs);
  if (ns.children(m).length > 0 && !opts.detach && !opts.recursive) throw fault('EBUSY', abs);
  ns.remove(ns.subtree(m));
  k.disks.release();
}

/**
 * pivot_root(2) into `root` followed by the detach of the old root: only the mounts at
 * and below `root` stay, seen from the new `/`. Refused (EINVAL) in the host's own mount
 * namespace, where the real launcher never pivots either.
 */
export function pivotRootIn(k: FakeKernel, p: FakeProcess, root: string): void {
  const ns: MountNs = p.ns.mnt;
  const abs = normalizePath(root, p.cwd);
  p.checkMountAllowed(abs);
  if (ns === k.hostNs.mnt) throw fault('EINVAL', abs);
  const at = ns.walk(abs, p);
  if (at.node.type !== 'dir') throw fault('ENOTDIR', abs);
  const m = ns.mountAt(at);
  if (!m) throw fault('EINVAL', abs);
  if (m === ns.root) throw fault('EBUSY', abs);
  const keep = new Set(ns.subtree(m));
  ns.mounts = ns.mounts.filter((x) => keep.has(x));
  rebase([...keep], at.path, '/');
  m.parent = undefined;
  ns.root = m;
  ns.rootPath = ns.rootPath === '/' ? at.path : `${ns.rootPath}${at.path}`;
  p.cwd = '/';
}

/** The MountService of the calling process: the host's mount namespace. */
export class FakeMounts implements MountService {
  constructor(private readonly k: FakeKernel) {}

  async mount(spec: MountSpec): Promise<void> {
    try {
      mountIn(this.k, this.k.self, spec);
    } catch (e) {
      if (!(e instanceof KernelFault)) throw e;
      const what = `mount ${spec.fstype ?? (spec.flags ?? []).join(',')} ${spec.source} on ${spec.target}`;
      throw kernelError('MOUNT_FAILED', what, e.errno, e.path ?? spec.target);
    }
  }

  /** A read-only or plain bind; the fake keeps one owner table, so ids are not shifted. */
  async bindIdmapped(spec: IdmappedBind): Promise<void> {
    if (!this.k.opts.idmappedMounts) {
      throw vzError('UNSUPPORTED', `idmapped mount of ${spec.source} on ${spec.target}: mount_setattr: EINVAL (Invalid argument)`, { errno: 'EINVAL', path: spec.source });
    }
    await this.mount({ source: spec.source, target: spec.target, flags: ['bind'] });
    if (spec.readOnly) await this.mount({ source: 'none', target: spec.target, flags: ['bind', 'remount', 'rdonly'] });
  }

  async umount(target: string, opts?: { detach?: boolean; recursive?: boolean }): Promise<void> {
    try {
      umountIn(this.k, this.k.self, target, opts);
    } catch (e) {
      if (e instanceof KernelFault) throw kernelError('UMOUNT_FAILED', `umount ${target}`, e.errno, e.path ?? target);
      throw e;
    }
  }

  async list(): Promise<MountEntry[]> {
    return this.k.self.ns.mnt.entries().map(({ root: _root, ...entry }) => entry);
  }

  async refreshLoop(device: string): Promise<void> {
    try {
      this.k.disks.refresh(device);
    } catch (e) {
      if (e instanceof KernelFault) throw kernelError('SYSTEM', `resize loop device ${device}`, e.errno, device);
      throw e;
    }
  }

  async isMountPoint(path: string): Promise<boolean> {
    try {
      return this.k.self.ns.mnt.mountAt(this.k.self.ns.mnt.walk(normalizePath(path), this.k.self)) !== undefined;
    } catch (e) {
      if (e instanceof KernelFault) return false;
      throw e;
    }
  }
}
