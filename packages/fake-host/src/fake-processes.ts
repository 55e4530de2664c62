/**
 * The fake kernel's process table and the ProcessService over it. Pids grow from 1000;
 * each process has a number in every pid namespace up to the host's. SIGKILL kills;
 * other signals go to the handler a test installed or to the default action (a VE's
 * init halts on the signals vzctl stop sends). When the init of a pid namespace dies,
 * every process in that namespace dies with it, as zap_pid_ns_processes does; when the
 * last process of a network namespace dies, the namespace goes with its devices. A frozen
 * process (v1 freezer) keeps its signals, SIGKILL included, until it is thawed.
 */
import type { IdMapping, MountEntry, Namespace, ProcessService, RunOptions, RunResult, SeccompRule } from '@vzkit/core';
import { fault, kernelError, KernelFault } from './fake-errors.js';
import type { FakeKernel } from './fake-kernel.js';
import { IpcNs, NetNs, NsBase, PidNs, UserNs, UtsNs, type SysvObject } from './fake-namespaces.js';
import { FakeProcess, parseSignal, type ExitStatus, type NsSet, type SignalAction, type SignalHandler } from './fake-process.js';
import { FakeRunner } from './fake-run.js';

/** A snapshot of one process for assertions (`fake.process(pid)`). */
export interface FakeProcessInfo {
  pid: number;
  ppid: number;
  /** Its pid inside its own pid namespace (1 for a VE's init). */
  nsPid: number;
  startTime: number;
  argv: string[];
  env: string[];
  cwd: string;
  alive: boolean;
  exit?: ExitStatus;
  hostname: string;
  domainname: string;
  /** `uts:[4026532001]` per namespace type. */
  namespaces: Record<Namespace, string>;
  /** Host-visible path its root was pivoted to (`/` when it never pivoted). */
  root: string;
  /** Its mount namespace's table, paths as the process sees them. */
  mounts: Array<MountEntry & { root: string }>;
  rlimits: Record<string, { soft: number; hard: number }>;
  /** Capability bounding set, sorted numbers. */
  capBounding: number[];
  /** Calls its seccomp filters refuse with EPERM whatever the arguments; absent without a filter. */
  seccompDeny?: string[];
  /** Its filters' other rules (by argument, or with ENOSYS), oldest filter first; absent without a filter. */
  seccompRules?: SeccompRule[];
  /** Its innermost Landlock domain; absent when it has none. */
  landlockDomain?: number;
  /** Signals delivered so far, in order. */
  signals: string[];
  /** Its cgroup (absolute, as in /proc/PID/cgroup), undefined once dead. */
  cgroup: string | undefined;
  /** SysV objects of its ipc namespace. */
  ipc: SysvObject[];
  /** Where init's output goes (LaunchSpec.console), for a VE's init. */
  console?: string;
  /** The id maps of its user namespace; absent in the host's. */
  uidMap?: IdMapping[];
  gidMap?: IdMapping[];
}

export class FakeProcesses implements ProcessService {
  private readonly table = new Map<number, FakeProcess>();
  private nextPid = 1000;
  private readonly waiters = new Map<number, Set<() => void>>();
  private readonly exitHooks = new Map<number, Array<() => void>>();

  constructor(private readonly k: FakeKernel) {}

  /** Host init (pid 1) and the calling process; returns the latter. */
  boot(): FakeProcess {
    const ns = this.k.hostNs;
    const init = new FakeProcess(1, 0, 1, ns, ['/sbin/init']);
    ns.pid.allocate(1, 1);
    this.table.set(1, init);
    this.k.cgroups.place(1, '/');
    const pid = this.k.opts.selfPid;
    const self = new FakeProcess(pid, 1, this.k.ticks(), ns, ['node', 'vzctl'], init);
    ns.pid.allocate(pid, pid);
    this.table.set(pid, self);
    this.k.cgroups.place(pid, this.k.opts.selfCgroup);
    return self;
  }

  get(pid: number): FakeProcess | undefined {
    return this.table.get(pid);
  }

  /** Live processes whose pid namespace is `ns` or nested in it. */
  liveIn(ns: PidNs): FakeProcess[] {
    return [...this.table.values()].filter((p) => p.alive && ns.contains(p.ns.pid));
  }

  private newNs(type: Namespace, parent: NsSet): NsSet[Namespace] {
    const inum = this.k.nextInum();
    switch (type) {
      case 'mnt': return parent.mnt.clone(inum, this.k.nextMountId);
      case 'uts': return new UtsNs(inum, parent.uts.hostname, parent.uts.domainname);
      case 'ipc': return new IpcNs(inum);
      case 'pid': return new PidNs(inum, parent.pid);
      case 'net': return new NetNs(inum);
      case 'user': return new UserNs(inum);
      default: return new NsBase(type, inum);
    }
  }

  /**
   * fork/clone: a child of `parent` with new namespaces of the given types and the
   * others of `join` (setns) or the parent. It starts in `cgroup` or the parent's
   * cgroup; EAGAIN when a pids limit there is reached, ENOMEM in a pid namespace whose
   * init is gone.
   */
  fork(parent: FakeProcess, opts: { newNs?: readonly Namespace[]; join?: Partial<NsSet>; argv?: string[]; cgroup?: string } = {}): FakeProcess {
    const ns = { ...parent.ns, ...opts.join } as NsSet;
    for (const t of opts.newNs ?? []) (ns as Record<Namespace, unknown>)[t] = this.newNs(t, ns);
    const nsInit = ns.pid.init === undefined ? undefined : this.table.get(ns.pid.init);
    if (ns.pid.level > 0 && nsInit && !nsInit.alive) throw fault('ENOMEM');
    const group = opts.cgroup ?? this.k.cgroups.groupOf(parent.pid) ?? '/';
    this.k.cgroups.chargeFork(group);
    while (this.table.has(this.nextPid)) this.nextPid++;
    const pid = this.nextPid++;
    for (let p: PidNs | undefined = ns.pid; p; p = p.parent) p.allocate(pid, p.level === 0 ? pid : undefined);
    const child = new FakeProcess(pid, parent.pid, this.k.ticks(), ns, opts.argv ?? [...parent.argv], parent);
    this.table.set(pid, child);
    this.k.cgroups.place(pid, group);
    return child;
  }

  /** Runs `fn` when process `pid` dies: what the kernel tears down with it (a FUSE server's connection). */
  onExit(pid: number, fn: () => void): void {
    const list = this.exitHooks.get(pid) ?? [];
    list.push(fn);
    this.exitHooks.set(pid, list);
  }

  /** The process ends (exit code or signal); a pid namespace's init takes its namespace along. */
  die(p: FakeProcess, status: ExitStatus): void {
    if (!p.alive) return;
    p.state = 'dead';
    p.exit = status;
    for (let ns: PidNs | undefined = p.ns.pid; ns; ns = ns.parent) ns.nrs.delete(p.pid);
    this.k.cgroups.remove(p.pid);
    // A network namespace lives while a process is in it (no bind mounts or fds are modelled).
    const net = p.ns.net;
    if (net !== this.k.hostNs.net && ![...this.table.values()].some((q) => q.alive && q.ns.net === net)) net.destroy();
    for (const wake of this.waiters.get(p.pid) ?? []) wake();
    this.waiters.delete(p.pid);
    for (const hook of this.exitHooks.get(p.pid) ?? []) hook();
    this.exitHooks.delete(p.pid);
    if (p.isNsInit) for (const q of this.liveIn(p.ns.pid)) this.die(q, { signal: 'SIGKILL' });
  }

  private act(p: FakeProcess, signal: string, chosen: SignalAction): void {
    const action = chosen === 'default' ? p.defaultAction(signal) : chosen;
    if (action === 'ignore' || action === 'default') return;
    if (action === 'terminate') this.die(p, { signal });
    else if (action === 'halt') this.die(p, { signal: 'SIGINT' });
    else if (action === 'reboot') this.die(p, { signal: 'SIGHUP' });
    else if (action === 'exit') this.die(p, { code: 0 });
    else this.die(p, { code: action.exit });
  }

  private deliver(p: FakeProcess, signal: string): void {
    if (signal === 'SIGKILL') return this.die(p, { signal });
    if (signal === 'SIGSTOP' || signal === 'SIGCONT') return;
    this.act(p, signal, p.handler ? p.handler(signal, p.pid) : 'default');
  }

  /** Delivers what a freezer held back (called on thaw). */
  release(pid: number): void {
    const p = this.table.get(pid);
    if (!p?.alive || this.k.cgroups.frozen(pid)) return;
    for (const s of p.pending.splice(0)) if (p.alive) this.deliver(p, s);
  }

  // --- ProcessService -------------------------------------------------------------

  async startTime(pid: number): Promise<number | undefined> {
    const p = this.table.get(pid);
    return p?.alive ? p.startTime : undefined;
  }

  async alive(pid: number, startTime?: number): Promise<boolean> {
    const p = this.table.get(pid);
    return !!p?.alive && (startTime === undefined || p.startTime === startTime);
  }

  async signal(pid: number, signal: NodeJS.Signals | number): Promise<boolean> {
    let sig: { num: number; name: string };
    try {
      this.k.faults.check('signal', String(pid));
      sig = parseSignal(signal);
    } catch (e) {
      if (e instanceof KernelFault) throw kernelError('SYSTEM', `kill(${pid}, ${String(signal)})`, e.errno);
      throw e;
    }
    const p = this.table.get(pid);
    if (!p?.alive) return false;
    if (sig.num === 0) return true;
    p.signals.push(sig.name);
    const killsFrozen = sig.name === 'SIGKILL' && this.k.opts.cgroupVersion === 2;
    if (this.k.cgroups.frozen(pid) && !killsFrozen) p.pending.push(sig.name);
    else this.deliver(p, sig.name);
    return true;
  }

  async waitExit(pid: number, timeoutMs: number): Promise<boolean> {
    const p = this.table.get(pid);
    if (!p?.alive) return true;
    return new Promise<boolean>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.waiters.get(pid)?.delete(wake);
        resolve(false);
      }, Math.max(0, timeoutMs));
      let set = this.waiters.get(pid);
      if (!set) this.waiters.set(pid, (set = new Set()));
      set.add(wake);
    });
  }

  /** prlimit from the calling process: raising a hard limit needs its CAP_SYS_RESOURCE. */
  async setRlimit(pid: number, resource: string, soft: number, hard: number): Promise<boolean> {
    const p = this.table.get(pid);
    if (!p?.alive) return false;
    if (!(soft >= 0 && hard >= 0) || soft > hard) throw kernelError('SYSTEM', `prlimit ${pid} ${resource}`, 'EINVAL');
    const old = p.rlimits.get(resource);
    if (hard > (old?.hard ?? Infinity) && !this.table.get(this.k.self.pid)?.caps.has(24)) throw kernelError('SYSTEM', `prlimit ${pid} ${resource}`, 'EPERM');
    p.rlimits.set(resource, { soft, hard });
    return true;
  }

  async namespaceId(pid: number, ns: Namespace): Promise<string | undefined> {
    const p = this.table.get(pid);
    return p?.alive ? p.ns[ns].id : undefined;
  }

  // --- test helpers ---------------------------------------------------------------

  /** A snapshot of a process (dead ones too), or undefined for a pid never used. */
  info(pid: number): FakeProcessInfo | undefined {
    const p = this.table.get(pid);
    if (!p) return undefined;
    const namespaces = Object.fromEntries(Object.entries(p.ns).map(([t, n]) => [t, n.id])) as Record<Namespace, string>;
    return {
      pid: p.pid, ppid: p.ppid, nsPid: p.nsPid, startTime: p.startTime,
      argv: [...p.argv], env: [...p.env], cwd: p.cwd, alive: p.alive,
      ...(p.exit ? { exit: { ...p.exit } } : {}),
      hostname: p.ns.uts.hostname, domainname: p.ns.uts.domainname,
      namespaces, root: p.ns.mnt.rootPath, mounts: p.ns.mnt.entries(),
      rlimits: Object.fromEntries([...p.rlimits].map(([k, v]) => [k, { ...v }])),
      capBounding: [...p.caps].sort((a, b) => a - b),
      ...(p.seccompDeny ? { seccompDeny: p.seccompDeny, seccompRules: [...p.seccompFilters].reverse().flatMap((f) => f.rules.map((r) => ({ ...r }))) } : {}),
      ...(p.landlockDomain !== undefined ? { landlockDomain: p.landlockDomain } : {}),
      signals: [...p.signals],
      cgroup: this.k.cgroups.groupOf(pid),
      ipc: p.ns.ipc.objects.map((o) => ({ ...o })),
      ...(p.console ? { console: p.console } : {}),
      ...(p.ns.user.uidMap ? { uidMap: p.ns.user.uidMap.map((m) => ({ ...m })) } : {}),
      ...(p.ns.user.gidMap ? { gidMap: p.ns.user.gidMap.map((m) => ({ ...m })) } : {}),
    };
  }

  /** Live processes (`all`: dead ones too), by pid. */
  list(opts: { all?: boolean } = {}): FakeProcessInfo[] {
    return [...this.table.values()].filter((p) => opts.all || p.alive).sort((a, b) => a.pid - b.pid).map((p) => this.info(p.pid)!);
  }

  /** Installs what `pid` does with signals (undefined: back to the default action). */
  onSignal(pid: number, handler: SignalHandler | undefined): void {
    this.must(pid).handler = handler;
  }

  /**
   * fork+exec of a process in the same namespaces and cgroup as `parentPid` (a guest
   * starting a daemon). Fails with EAGAIN (and counts a pids failcnt) at a pids limit.
   */
  spawn(parentPid: number, argv: string[] = ['/bin/sh']): number {
    try {
      return this.fork(this.must(parentPid), { argv }).pid;
    } catch (e) {
      if (e instanceof KernelFault) throw kernelError('SYSTEM', `fork from ${parentPid}`, e.errno);
      throw e;
    }
  }

  /** What a fake daemon does when started, by program name (`lxcfs`); see FakeHost.onDaemon. */
  readonly daemonHandlers = new Map<string, (pid: number, argv: string[]) => void>();

  async daemon(argv: string[], _opts: { log: string }): Promise<number> {
    const name = (argv[0] ?? '').split('/').pop()!;
    const handler = this.daemonHandlers.get(name);
    if (!handler) throw kernelError('SYSTEM', `spawn ${argv[0]}`, 'ENOENT');
    const pid = this.spawn(this.k.self.pid, argv);
    handler(pid, argv);
    return pid;
  }

  /** Host programs `run` can start, by name; see FakeHost.onRun. */
  get runner(): FakeRunner {
    return (this.programs ??= new FakeRunner(this.k));
  }

  private programs: FakeRunner | undefined;

  run(argv: string[], opts?: RunOptions): Promise<RunResult> {
    return this.runner.run(argv, opts);
  }

  /** The process ends by itself: `{ code: 0 }`, or `{ signal: 'SIGHUP' }` for a guest reboot. */
  exit(pid: number, status: ExitStatus = { code: 0 }): void {
    this.die(this.must(pid), status);
  }

  /** Adds a SysV object to the ipc namespace of `pid`. */
  addIpcObject(pid: number, obj: Omit<SysvObject, 'id'>): SysvObject {
    return { ...this.must(pid).ns.ipc.add(obj) };
  }

  private must(pid: number): FakeProcess {
    const p = this.table.get(pid);
    if (!p?.alive) throw kernelError('SYSTEM', `process ${pid}`, 'ESRCH');
    return p;
  }
}
