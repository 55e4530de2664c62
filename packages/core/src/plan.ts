/**
 * The launch plan: what the VE's init is cloned with and what the child does before it
 * execs init. Plugins fill it in `prepare`; the Host's launcher carries it out. Ops are
 * data so that FakeHost can model them and tests can assert the resulting state.
 */

export type Namespace = 'mnt' | 'uts' | 'ipc' | 'pid' | 'net' | 'user' | 'cgroup' | 'time';
export const NAMESPACES: readonly Namespace[] = ['user', 'mnt', 'uts', 'ipc', 'pid', 'net', 'cgroup', 'time'];

import type { CgroupRef, MountFlag } from './host.js';

export type ChildOp =
  | { op: 'mount'; source: string; target: string; fstype: string; flags: MountFlag[]; data?: string }
  | { op: 'umount'; target: string; detach: boolean }
  | { op: 'mkdir'; path: string; mode: number }
  | { op: 'mknod'; path: string; kind: 'c' | 'b'; major: number; minor: number; mode: number }
  /**
   * A device node at `path` unless something is there already, its parent directories
   * made: mknod with these numbers and mode; or, with `source` (a host node: for a VE
   * whose root may not make device nodes), that node bound onto an empty file.
   */
  | { op: 'devnode'; path: string; kind: 'c' | 'b'; major: number; minor: number; mode: number; source?: string }
  | { op: 'symlink'; target: string; path: string }
  | { op: 'write'; path: string; data: string }
  /**
   * The file read once and its content dropped, by init in its cgroups: for a server
   * that begins to serve a reader's cgroup at its first read (lxcfs's load average).
   */
  | { op: 'read'; path: string }
  /**
   * A network device of the child's network namespace brought up (SIOCSIFFLAGS): its
   * loopback, which a new namespace has down. In the child, so that the caller's thread
   * makes no netlink request into the VE's namespace for it.
   */
  | { op: 'linkUp'; name: string }
  /** pivot_root into root, chdir /, detach the old root: no host mount stays visible. */
  | { op: 'pivotRoot'; root: string }
  | { op: 'chdir'; path: string }
  | { op: 'sethostname'; name: string }
  | { op: 'setdomainname'; name: string }
  | { op: 'rlimit'; resource: string; soft: number; hard: number }
  /** Capabilities removed from the bounding set (numbers, linux/capability.h). */
  | { op: 'capDrop'; caps: number[] }
  /**
   * A seccomp filter: the calls named in `deny` fail with EPERM, those of `rules` as each
   * rule says; everything else is allowed. Names this architecture lacks are skipped.
   * Inherited by every child.
   */
  | { op: 'seccomp'; deny: string[]; rules?: SeccompRule[] }
  /**
   * A Landlock domain (Linux 5.13+): its tasks can neither mount, remount, unmount, move
   * a mount nor pivot_root, nor ptrace a task outside the domain; files stay as they
   * were. Inherited by every child. Taken on the current root: after the pivot.
   */
  | { op: 'landlock' };

/**
 * A call a seccomp filter refuses only for some arguments, or with another answer than
 * EPERM. A filter sees the call's registers, never the memory they point to: it can
 * test clone's flags or a socket's family, not clone3's flags (they are in a struct).
 */
export interface SeccompRule {
  call: string;
  /** EPERM: not allowed. ENOSYS: "no such call", on which libc falls back (clone3 → clone). */
  errno: 'EPERM' | 'ENOSYS';
  /** Only when the arguments meet every condition; always when absent. */
  when?: SeccompCondition[];
}

/** Argument `arg` (0-5) has every bit of `bits` set, or equals `equals` (its low 32 bits). */
export type SeccompCondition = { arg: number; bits: number } | { arg: number; equals: number };

/**
 * Where an op runs in the child, whatever the plugin order: `early` before the root
 * filesystem is built, `rootfs` while it is (paths still under the host-visible root),
 * `pivot` the switch itself, `procfs` after it (paths are the VE's own, /proc mounted),
 * `final` just before exec (rlimits, capabilities).
 */
export type Stage = 'early' | 'rootfs' | 'pivot' | 'procfs' | 'final';
export const STAGES: readonly Stage[] = ['early', 'rootfs', 'pivot', 'procfs', 'final'];

export interface InitSpec {
  argv: string[];
  env: string[];
  cwd: string;
}

/** The finished plan handed to the Host's launcher. */
export interface LaunchSpec {
  ctid: number;
  namespaces: Namespace[];
  ops: ChildOp[];
  init: InitSpec;
  /** The group init is placed in before the launcher's `attach` runs (the VE's own). */
  cgroup?: CgroupRef;
  /** Host file that receives init's stdout/stderr; /dev/null when unset. */
  console?: string;
  uidMap?: IdMapping[];
  gidMap?: IdMapping[];
}

export interface IdMapping {
  inside: number;
  outside: number;
  count: number;
}

type Deferred = (plan: LaunchPlan) => ChildOp[];

/** Built up by plugins during `prepare`. */
export class LaunchPlan {
  readonly namespaces = new Set<Namespace>();
  private readonly staged = new Map<Stage, Array<ChildOp | Deferred>>(STAGES.map((s) => [s, []]));
  private readonly finalizers: Array<(plan: LaunchPlan) => void> = [];
  /** /proc/sys keys (relative, e.g. `kernel/hostname`, `net`) the VE's namespaces own: they stay writable. */
  readonly writableProcSys = new Set<string>();
  init: InitSpec = { argv: ['/sbin/init'], env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=linux', 'container=vzkit'], cwd: '/' };
  console: string | undefined;
  uidMap: IdMapping[] | undefined;
  gidMap: IdMapping[] | undefined;
  /**
   * Ops every process that later enters the VE (`exec`, `enter`) runs after joining it,
   * for what cannot be read back from init (a seccomp filter). The core keeps them in
   * the VE's state.
   */
  readonly joinOps: ChildOp[] = [];

  constructor(readonly ctid: number) {}

  add(stage: Stage, ...ops: ChildOp[]): this {
    this.staged.get(stage)!.push(...ops);
    return this;
  }

  /** Adds ops to init's final stage and to those of every process that enters the VE later. */
  forEveryProcess(...ops: ChildOp[]): this {
    this.joinOps.push(...ops);
    return this.add('final', ...ops);
  }

  /**
   * Ops decided from the finished plan but kept at this place in the order: `fn` runs
   * (and must be pure) whenever the ops are read, finally after every prepare. Sysfs is
   * one: inside a user namespace it can be mounted only where the VE has its own network
   * namespace, which a later plugin may add.
   */
  later(stage: Stage, fn: (plan: LaunchPlan) => ChildOp[]): this {
    this.staged.get(stage)!.push(fn);
    return this;
  }

  /** Runs after every plugin's prepare, in plugin order: for ops that depend on what the others asked. */
  finalize(fn: (plan: LaunchPlan) => void): this {
    this.finalizers.push(fn);
    return this;
  }

  ops(stage?: Stage): ChildOp[] {
    const resolve = (s: Stage) => this.staged.get(s)!.flatMap((e) => (typeof e === 'function' ? e(this) : [e]));
    return stage ? resolve(stage) : STAGES.flatMap(resolve);
  }

  /** Runs the finalizers once and returns the spec for the launcher. */
  build(): LaunchSpec {
    for (const fn of this.finalizers.splice(0)) fn(this);
    return {
      ctid: this.ctid,
      namespaces: NAMESPACES.filter((n) => this.namespaces.has(n)),
      ops: this.ops(),
      init: this.init,
      ...(this.console ? { console: this.console } : {}),
      ...(this.uidMap ? { uidMap: this.uidMap } : {}),
      ...(this.gidMap ? { gidMap: this.gidMap } : {}),
    };
  }
}
