/**
 * One process of the fake kernel: its namespaces, argv, limits, capabilities and what
 * it was sent. Signal names and numbers follow Linux x86-64 (SIGRTMIN is 34).
 */
import { constants } from 'node:os';
import type { Namespace, SeccompCondition, SeccompRule } from '@vzkit/core';
import type { Errno } from './fake-errors.js';
import { fault } from './fake-errors.js';
import type { MountNs } from './fake-mount-table.js';
import type { IpcNs, NetNs, NsBase, PidNs, UserNs, UtsNs } from './fake-namespaces.js';
import type { Accessor } from './fake-vnode.js';

export interface NsSet {
  user: UserNs;
  mnt: MountNs;
  uts: UtsNs;
  ipc: IpcNs;
  pid: PidNs;
  net: NetNs;
  cgroup: NsBase;
  time: NsBase;
}

/** How a process ended: an exit code, or the signal that ended it (`SIGINT` for a guest halt). */
export interface ExitStatus {
  code?: number;
  signal?: string;
}

/**
 * What a process does with a signal. `halt` and `reboot` are what a VE's init does when
 * it shuts the guest down: in a pid namespace reboot(2) ends init with SIGINT (halt,
 * poweroff) or SIGHUP (restart). `terminate` is the default action (killed by it),
 * `exit` a clean exit with code 0, `{ exit: n }` with code n, `default` what the
 * process would do without a handler.
 */
export type SignalAction = 'ignore' | 'terminate' | 'exit' | 'halt' | 'reboot' | 'default' | { exit: number };

export type SignalHandler = (signal: string, pid: number) => SignalAction;

/** CAP_LAST_CAP of Linux 6.x (CAP_CHECKPOINT_RESTORE). */
export const CAP_LAST_CAP = 40;

const SIGRTMIN = 34;
const SIGRTMAX = 64;
const SIGNALS = constants.signals as Record<string, number>;

/** `SIGTERM`/`15`/`SIGRTMIN+4`/`38` → number and canonical name; EINVAL for anything else. */
export function parseSignal(sig: string | number): { num: number; name: string } {
  if (typeof sig === 'number') {
    if (!Number.isInteger(sig) || sig < 0 || sig > SIGRTMAX) throw fault('EINVAL');
    if (sig === 0) return { num: 0, name: '0' };
    if (sig >= SIGRTMIN) return { num: sig, name: sig === SIGRTMIN ? 'SIGRTMIN' : `SIGRTMIN+${sig - SIGRTMIN}` };
    const name = Object.keys(SIGNALS).find((k) => SIGNALS[k] === sig && k !== 'SIGIOT' && k !== 'SIGPOLL' && k !== 'SIGUNUSED');
    if (!name) throw fault('EINVAL');
    return { num: sig, name };
  }
  const rt = /^SIGRTMIN(?:\+(\d+))?$/.exec(sig);
  if (rt) return parseSignal(SIGRTMIN + Number(rt[1] ?? 0));
  const rtmax = /^SIGRTMAX(?:-(\d+))?$/.exec(sig);
  if (rtmax) return parseSignal(SIGRTMAX - Number(rtmax[1] ?? 0));
  const n = SIGNALS[sig];
  if (n === undefined) throw fault('EINVAL');
  return parseSignal(n);
}

/** Signals whose default action is to do nothing. */
const DEFAULT_IGNORED = new Set(['SIGCHLD', 'SIGURG', 'SIGWINCH', 'SIGCONT']);
/** What a VE's init (busybox, sysvinit, systemd) does on the signals vzctl stop sends. */
const INIT_HALT = new Set(['SIGUSR2', 'SIGINT', 'SIGTERM', 'SIGPWR', 'SIGRTMIN+4']);

/** Memory (kB, as /proc/PID/status prints it) and open files (fd link targets: `socket:[N]`, paths). */
export interface ProcessUsage {
  vmDataKb: number;
  vmStkKb: number;
  vmLckKb: number;
  fds: string[];
}

export class FakeProcess implements Accessor {
  state: 'running' | 'dead' = 'running';
  exit: ExitStatus | undefined;
  env: string[] = [];
  cwd = '/';
  console: string | undefined;
  readonly rlimits = new Map<string, { soft: number; hard: number }>();
  caps: Set<number>;
  /** Its seccomp filters, newest first (inherited by children, kept across exec). */
  seccompFilters: ReadonlyArray<{ deny: readonly string[]; rules: readonly SeccompRule[] }>;
  /** Its innermost Landlock domain (inherited by children, kept across exec); none: not sandboxed. */
  landlockDomain: number | undefined;
  /** Every signal delivered, in order (SIGKILL included). */
  readonly signals: string[] = [];
  /** Signals held while the process is frozen. */
  pending: string[] = [];
  handler: SignalHandler | undefined;
  /** What /proc/PID/status and /proc/PID/fd show of the process's resources (tests set it). */
  usage: ProcessUsage = { vmDataKb: 0, vmStkKb: 0, vmLckKb: 0, fds: [] };

  constructor(
    readonly pid: number,
    public ppid: number,
    readonly startTime: number,
    readonly ns: NsSet,
    public argv: string[],
    parent?: FakeProcess,
  ) {
    this.caps = new Set(parent ? parent.caps : Array.from({ length: CAP_LAST_CAP + 1 }, (_, i) => i));
    this.seccompFilters = parent ? parent.seccompFilters : [];
    this.landlockDomain = parent?.landlockDomain;
    if (parent) {
      for (const [k, v] of parent.rlimits) this.rlimits.set(k, { ...v });
      this.env = [...parent.env];
      this.cwd = parent.cwd;
    }
  }

  get alive(): boolean {
    return this.state !== 'dead';
  }

  /** Its number in its own pid namespace (1 for a VE's init). */
  get nsPid(): number {
    return this.ns.pid.nrs.get(this.pid) ?? 0;
  }

  /** Init of a pid namespace below the host's: the kernel protects it from most signals. */
  get isNsInit(): boolean {
    return this.ns.pid.level > 0 && this.ns.pid.init === this.pid;
  }

  defaultAction(signal: string): SignalAction {
    if (this.isNsInit) return INIT_HALT.has(signal) ? 'halt' : 'ignore';
    if (this.pid === 1 || DEFAULT_IGNORED.has(signal)) return 'ignore';
    return 'terminate';
  }

  nsOf(type: Namespace): NsBase {
    return this.ns[type];
  }

  setRlimit(resource: string, soft: number, hard: number): void {
    if (!(soft >= 0 && hard >= 0) || soft > hard) throw fault('EINVAL' satisfies Errno);
    const old = this.rlimits.get(resource);
    // Raising a hard limit needs CAP_SYS_RESOURCE, which the launcher's child still has.
    if (old && hard > old.hard && !this.caps.has(24)) throw fault('EPERM');
    this.rlimits.set(resource, { soft, hard });
  }

  /** Stacks a filter on the ones it has, as the kernel does: all apply. */
  loadSeccomp(deny: readonly string[], rules: readonly SeccompRule[] = []): void {
    for (const c of rules.flatMap((r) => r.when ?? [])) {
      if (!Number.isInteger(c.arg) || c.arg < 0 || c.arg > 5 || ('bits' in c ? !(c.bits > 0) : !(c.equals >= 0 && c.equals <= 0xffffffff))) throw fault('EINVAL');
    }
    this.seccompFilters = [{ deny: [...deny], rules: rules.map((r) => ({ ...r })) }, ...this.seccompFilters];
  }

  /** Calls its filters refuse with EPERM whatever the arguments; undefined without a filter. */
  get seccompDeny(): string[] | undefined {
    if (this.seccompFilters.length === 0) return undefined;
    return [...new Set([...this.seccompFilters].reverse().flatMap((f) => f.deny))];
  }

  /**
   * What `call` with these arguments returns under its filters: the answer of the newest
   * filter that refuses it (the kernel keeps the newest among equal actions), undefined
   * when every filter lets it through.
   */
  seccompAnswer(call: string, args: readonly number[] = []): 'EPERM' | 'ENOSYS' | undefined {
    for (const f of this.seccompFilters) {
      if (f.deny.includes(call)) return 'EPERM';
      const hit = f.rules.find((r) => r.call === call && (r.when ?? []).every((c) => meets(c, args[c.arg] ?? 0)));
      if (hit) return hit.errno;
    }
    return undefined;
  }

  /**
   * landlock_restrict_self: a new domain, nested in the one it has; EOPNOTSUPP from a
   * kernel without Landlock. (The kernel also wants CAP_SYS_ADMIN without no_new_privs,
   * which the launcher keeps in its effective set until after the join ops: `caps` here
   * is the bounding set.)
   */
  enterLandlock(abi: number, domain: () => number): void {
    if (abi < 1) throw fault('EOPNOTSUPP');
    this.landlockDomain = domain();
  }

  /** mount(2), umount2(2), pivot_root(2) and friends: Landlock refuses them to a sandboxed task. */
  checkMountAllowed(path: string): void {
    if (this.landlockDomain !== undefined) throw fault('EPERM', path);
  }

  dropCaps(caps: number[]): void {
    for (const c of caps) if (!Number.isInteger(c) || c < 0 || c > CAP_LAST_CAP) throw fault('EINVAL');
    for (const c of caps) this.caps.delete(c);
  }
}

/** A filter's masked comparison: all of `bits` set, or the low 32 bits equal. */
function meets(c: SeccompCondition, value: number): boolean {
  const v = BigInt(value);
  return 'bits' in c ? (v & BigInt(c.bits)) === BigInt(c.bits) : (v & 0xffffffffn) === BigInt(c.equals);
}
