/**
 * The child-side ops that build a VE's root in its own mount namespace: pure functions of
 * the VE root and of what the host's /proc and /sys have (a {@link HostProbe}). Paths are
 * the host-side view under VE_ROOT until the pivot.
 */
import { join } from 'node:path';
import type { ChildOp, MountFlag } from '@vzkit/core';

/** /proc files that tell the VE about the host's kernel: /dev/null is bound over them. */
export const PROC_MASKED_FILES = ['kcore', 'keys', 'latency_stats', 'timer_list', 'timer_stats', 'sched_debug'] as const;
/** /proc directories about host hardware: an empty read-only tmpfs covers them. */
export const PROC_MASKED_DIRS = ['acpi', 'asound', 'scsi'] as const;
/** /proc entries the VE may read but not write. */
export const PROC_READONLY = ['sysrq-trigger', 'irq', 'bus', 'fs'] as const;
/** /sys directories about host firmware and power: covered like PROC_MASKED_DIRS. */
export const SYS_MASKED_DIRS = ['firmware', 'devices/virtual/powercap'] as const;
/** /proc/sys directories whose listing decides whether a writable key exists. */
export const PROC_SYS_PROBED_DIRS = ['', 'kernel', 'fs', 'fs/mqueue', 'user', 'net', 'vm'] as const;

/** What the host's /proc and /sys have; the VE's fresh proc and sysfs have the same entries. */
export interface HostProbe {
  /** Present entries of PROC_MASKED_FILES, PROC_MASKED_DIRS and PROC_READONLY. */
  proc: ReadonlySet<string>;
  /** Present entries of SYS_MASKED_DIRS. */
  sys: ReadonlySet<string>;
  /** Listings of the /proc/sys directories that could be read ('' = /proc/sys itself). */
  procSys: ReadonlyMap<string, ReadonlySet<string>>;
}

const PROC_FLAGS: MountFlag[] = ['nosuid', 'nodev', 'noexec'];
const RO_REMOUNT: MountFlag[] = ['bind', 'remount', 'rdonly', 'nosuid', 'nodev', 'noexec'];

function mount(source: string, target: string, fstype: string, flags: MountFlag[], data?: string): ChildOp {
  return data === undefined ? { op: 'mount', source, target, fstype, flags } : { op: 'mount', source, target, fstype, flags, data };
}

function bind(source: string, target: string, flags: MountFlag[] = []): ChildOp {
  return mount(source, target, '', ['bind', ...flags]);
}

/** Stage `early`: nothing mounted in the VE's namespace may propagate back to the host. */
export function isolationOps(): ChildOp[] {
  return [mount('none', '/', '', ['rec', 'private'])];
}

/** The device nodes every VE gets (char, major, minor). */
export const DEVICES: ReadonlyArray<readonly [string, number, number]> = [
  ['null', 1, 3], ['zero', 1, 5], ['full', 1, 7], ['random', 1, 8], ['urandom', 1, 9], ['tty', 5, 0],
];

/**
 * /dev: a tmpfs with the basic nodes, a private devpts and /dev/shm. In a user namespace
 * mknod of a device is refused whatever the VE's root may do, and a tmpfs mounted there
 * cannot hold usable nodes anyway: the host's nodes are bound onto empty files instead,
 * as LXC and runc do (the host's /dev is still visible at this stage).
 */
export function devOps(root: string, opts: { userns?: boolean } = {}): ChildOp[] {
  const dev = join(root, 'dev');
  const ops: ChildOp[] = [mount('tmpfs', dev, 'tmpfs', ['nosuid', 'noexec'], 'mode=755,size=65536k')];
  for (const [name, major, minor] of DEVICES) {
    const path = join(dev, name);
    if (opts.userns) ops.push({ op: 'write', path, data: '' }, bind(`/dev/${name}`, path));
    else ops.push({ op: 'mknod', path, kind: 'c', major, minor, mode: 0o666 });
  }
  ops.push(
    { op: 'symlink', target: '/proc/self/fd', path: join(dev, 'fd') },
    { op: 'symlink', target: '/proc/self/fd/0', path: join(dev, 'stdin') },
    { op: 'symlink', target: '/proc/self/fd/1', path: join(dev, 'stdout') },
    { op: 'symlink', target: '/proc/self/fd/2', path: join(dev, 'stderr') },
    { op: 'symlink', target: 'pts/ptmx', path: join(dev, 'ptmx') },
    { op: 'mkdir', path: join(dev, 'pts'), mode: 0o755 },
    { op: 'mkdir', path: join(dev, 'shm'), mode: 0o1777 },
    { op: 'mkdir', path: join(dev, 'mqueue'), mode: 0o755 },
    mount('devpts', join(dev, 'pts'), 'devpts', ['nosuid', 'noexec'], 'newinstance,ptmxmode=0666,mode=0620,gid=5'),
    mount('tmpfs', join(dev, 'shm'), 'tmpfs', ['nosuid', 'nodev'], 'mode=1777'),
    // No console reader exists yet: the host's console must not leak in, and a pty nobody
    // reads would block init once its buffer fills. /dev/null swallows console output.
    { op: 'write', path: join(dev, 'console'), data: '' },
    bind(join(dev, 'null'), join(dev, 'console')),
  );
  return ops;
}

/** /proc with the host-revealing entries masked, /sys's covered (without a /sys, none); /proc/sys comes in {@link procSysOps}. */
export function procOps(root: string, probe: HostProbe, opts: { sysfs?: boolean } = {}): ChildOp[] {
  const proc = join(root, 'proc');
  const sys = join(root, 'sys');
  const devNull = join(root, 'dev', 'null');
  const ops: ChildOp[] = [];
  for (const f of PROC_MASKED_FILES) if (probe.proc.has(f)) ops.push(bind(devNull, join(proc, f)));
  for (const d of PROC_MASKED_DIRS) {
    if (probe.proc.has(d)) ops.push(mount('tmpfs', join(proc, d), 'tmpfs', ['rdonly', ...PROC_FLAGS], 'mode=555'));
  }
  for (const p of PROC_READONLY) if (probe.proc.has(p)) ops.push(bind(join(proc, p), join(proc, p), ['rdonly', ...PROC_FLAGS]));
  for (const d of SYS_MASKED_DIRS) {
    if (probe.sys.has(d) && opts.sysfs !== false) ops.push(mount('tmpfs', join(sys, d), 'tmpfs', ['rdonly', ...PROC_FLAGS], 'mode=555'));
  }
  return ops;
}

/**
 * /sys read-only. A fresh sysfs shows the network devices of the mounting process's
 * network namespace, and inside a user namespace the kernel allows it only where that
 * namespace is the VE's own; a user-namespaced VE on the host's network gets the host's
 * /sys bound instead.
 */
export function sysfsOps(root: string, opts: { userns: boolean; ownNet: boolean }): ChildOp[] {
  const sys = join(root, 'sys');
  if (opts.userns && !opts.ownNet) return [bind('/sys', sys, ['rec']), mount('none', sys, '', RO_REMOUNT)];
  return [mount('sysfs', sys, 'sysfs', [...PROC_FLAGS, 'rdonly'])];
}

/** Stage `rootfs` up to /dev: the root bound onto itself (pivot_root needs a mount) and proc. */
export function rootOps(root: string): ChildOp[] {
  return [bind(root, root, ['rec']), mount('proc', join(root, 'proc'), 'proc', PROC_FLAGS)];
}

/** The whole `rootfs` stage up to /proc/sys for a VE whose namespaces are known: root, proc, sysfs, /dev, masks. */
export function rootfsOps(root: string, probe: HostProbe, opts: { userns?: boolean; ownNet?: boolean } = {}): ChildOp[] {
  const userns = opts.userns ?? false;
  return [
    ...rootOps(root),
    ...sysfsOps(root, { userns, ownNet: opts.ownNet ?? true }),
    ...devOps(root, { userns }),
    ...procOps(root, probe),
  ];
}

/**
 * Normalizes the writable /proc/sys keys: `kernel/hostname` style, no `..`, without the
 * ones a writable parent already covers, and (where the probe listed the parent) only
 * those the kernel has. Keys in directories the probe did not list are trusted.
 */
export function writableKeys(keys: Iterable<string>, probe: HostProbe): { keep: string[]; dropped: string[] } {
  const dropped: string[] = [];
  const valid = new Set<string>();
  for (const raw of keys) {
    const key = raw.split('/').filter(Boolean).join('/');
    if (!key || key.split('/').some((s) => s === '.' || s === '..')) {
      dropped.push(raw);
      continue;
    }
    const cut = key.lastIndexOf('/');
    const listing = probe.procSys.get(cut < 0 ? '' : key.slice(0, cut));
    if (listing && !listing.has(key.slice(cut + 1))) dropped.push(raw);
    else valid.add(key);
  }
  const keep = [...valid].filter((k) => ![...valid].some((p) => p !== k && k.startsWith(`${p}/`))).sort();
  return { keep, dropped };
}

/** /proc/sys read-only except `keys`: bind it onto itself, bind each key onto itself, remount the first read-only. */
export function procSysOps(root: string, keys: readonly string[]): ChildOp[] {
  const procSys = join(root, 'proc', 'sys');
  return [
    bind(procSys, procSys),
    ...keys.map((k) => bind(join(procSys, k), join(procSys, k))),
    mount('none', procSys, '', RO_REMOUNT),
  ];
}

/** POSIX message queues of the VE's own IPC namespace. */
export function mqueueOps(root: string): ChildOp[] {
  return [mount('mqueue', join(root, 'dev', 'mqueue'), 'mqueue', PROC_FLAGS)];
}

/** Stage `pivot`. */
export function pivotOps(root: string): ChildOp[] {
  return [{ op: 'pivotRoot', root }];
}
