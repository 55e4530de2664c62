/**
 * A cgroup tree in memory behind the CgroupManager interface, v1 or v2. Groups hold
 * member pids (a process is in exactly one group; forks inherit it), limits and the
 * counters tests drive (memory usage, failcnt). It fails as the kernel does: attach or
 * set on a missing group is ENOENT naming its directory, removing a group with processes
 * EBUSY, a fork past pids.max EAGAIN, a charge past memory.max the OOM killer. It keeps
 * the CgroupManager contract the kernel backends keep (packages/linux/test/cgroup-contract.ts).
 */
import { vzError, type CgroupManager, type CgroupRef, type CgroupResources, type CgroupStats } from '@vzkit/core';
import { fault, kernelError, KernelFault, type FaultTarget } from './fake-errors.js';
import { applyResources, CgNode, LimitFault } from './fake-cgroup-limits.js';
import type { FakeKernel } from './fake-kernel.js';

export class FakeCgroups implements CgroupManager {
  private readonly root = new CgNode('/', undefined);
  private readonly where = new Map<number, CgNode>();
  /**
   * Memory each process charged (`charge`) and where: given back to that group when it
   * dies, wherever it moved meanwhile (charges do not follow a task to another group).
   */
  private readonly charged = new Map<number, Array<{ at: CgNode; bytes: number }>>();

  constructor(private readonly k: FakeKernel) {
    this.node(k.opts.selfCgroup, true);
  }

  get version(): 1 | 2 {
    return this.k.opts.cgroupVersion;
  }

  /** `@self/x` → `<self>/x`, `vzkit/101` → `/vzkit/101`; EINVAL for `..` or empty parts. */
  resolve(group: CgroupRef): string {
    const rel = group.startsWith('@self') ? `${this.k.opts.selfCgroup}/${group.slice(5)}` : group;
    const parts = rel.split('/').filter((p) => p !== '');
    if (parts.some((p) => p === '.' || p === '..' || p.includes('\0'))) throw fault('EINVAL');
    return `/${parts.join('/')}`;
  }

  private node(path: string, create = false): CgNode | undefined {
    let cur = this.root;
    for (const name of path.split('/').filter((p) => p !== '')) {
      let next = cur.children.get(name);
      if (!next) {
        if (!create) return undefined;
        next = new CgNode(cur.path === '/' ? `/${name}` : `${cur.path}/${name}`, cur);
        cur.children.set(name, next);
      }
      cur = next;
    }
    return cur;
  }

  /** Runs one manager call: armed faults first, kernel faults become VzErrors naming the group. */
  private call<T>(target: FaultTarget | undefined, what: string, group: CgroupRef, fn: (path: string) => T): T {
    try {
      if (target) this.k.faults.check(target, group);
      return fn(this.resolve(group));
    } catch (e) {
      if (e instanceof LimitFault) {
        const dirs = this.pathsOf(this.resolve(group));
        const file = `${dirs[e.file.split('.')[0]!] ?? dirs.unified ?? ''}/${e.file}`;
        throw kernelError('SYSTEM', `cgroup ${group}: write ${e.value} to ${file}`, e.errno, file);
      }
      if (e instanceof KernelFault) throw kernelError('SYSTEM', `cgroup ${group}: ${what}`, e.errno, e.path);
      throw e;
    }
  }

  /** The group at `path`; ENOENT naming its directory, as a read of its files would. */
  private must(path: string): CgNode {
    const n = this.node(path);
    if (!n) throw fault('ENOENT', this.dirOf(path));
    return n;
  }

  /** As the backends: v2's `unified` and every controller share one directory. */
  private pathsOf(path: string): Record<string, string> {
    const suffix = path === '/' ? '' : path;
    if (this.version === 2) {
      const dir = `/sys/fs/cgroup${suffix}`;
      return { unified: dir, ...Object.fromEntries(this.k.opts.controllers.map((c) => [c, dir])) };
    }
    return Object.fromEntries(this.k.opts.controllers.map((c) => [c, `/sys/fs/cgroup/${c}${suffix}`]));
  }

  /** The directory membership is read from: pids' hierarchy in v1 (else the first), the one tree in v2. */
  private dirOf(path: string): string {
    const dirs = this.pathsOf(path);
    return dirs['unified'] ?? dirs['pids'] ?? Object.values(dirs)[0] ?? path;
  }

  // --- CgroupManager ---------------------------------------------------------------

  async controllers(): Promise<string[]> {
    return [...this.k.opts.controllers];
  }

  async exists(group: CgroupRef): Promise<boolean> {
    return this.call(undefined, 'exists', group, (p) => this.node(p) !== undefined);
  }

  async create(group: CgroupRef): Promise<void> {
    this.call('cgroup.create', 'mkdir', group, (p) => this.node(p, true));
  }

  async attach(group: CgroupRef, pid: number): Promise<void> {
    this.call('cgroup.attach', `attach ${pid}`, group, (p) => {
      const n = this.must(p);
      if (!this.k.processes.get(pid)?.alive) throw fault('ESRCH');
      this.place(pid, n.path);
    });
  }

  async set(group: CgroupRef, resources: CgroupResources): Promise<void> {
    // As the v2 backend: a device allowlist there would need a BPF program.
    if (resources.devices && this.version === 2) throw vzError('UNSUPPORTED', `cgroup ${group}: a device allowlist on cgroup v2 needs a BPF device program`);
    // As the backends: the throttles are written, then a weight where no scheduler has one is refused.
    const noWeight = resources.io?.weight !== undefined && !this.k.opts.ioWeight;
    const res: CgroupResources = noWeight ? { ...resources, io: { ...(resources.io?.limits ? { limits: resources.io.limits } : {}) } } : resources;
    this.call('cgroup.set', 'set', group, (p) => {
      const o = this.k.opts;
      applyResources(this.must(p), res, {
        version: o.cgroupVersion, pageSize: o.pageSize, cpus: o.cpus, controllers: o.controllers, swapAccounting: o.swapAccounting,
        disk: (major, minor) => this.k.disk(major, minor),
      });
    });
    if (noWeight) {
      const file = this.version === 1 ? 'blkio.weight' : 'io.weight';
      throw vzError('UNSUPPORTED', `cgroup ${group}: no I/O weight (${file}): no I/O scheduler of this host shares disk time by weight`);
    }
  }

  /** Counters of many groups; groups that do not exist are left out, as the backends do. */
  async sample(groups: readonly CgroupRef[]): Promise<Map<CgroupRef, CgroupStats>> {
    const out = new Map<CgroupRef, CgroupStats>();
    for (const group of groups) {
      try {
        out.set(group, await this.stats(group));
      } catch {
        // Gone (the VE stopped): not part of this pass.
      }
    }
    return out;
  }

  /**
   * v2 counts refused swap charges (memory.swap.events max); v1 kernels from 6.13 on no
   * longer count memsw refusals (the file reads 0), so LinuxHost leaves them out there.
   */
  private swapFailuresCounted(): boolean {
    if (this.version === 2) return true;
    const m = /^(\d+)\.(\d+)/.exec(this.k.opts.kernelRelease);
    return !m || Number(m[1]) < 6 || (Number(m[1]) === 6 && Number(m[2]) < 13);
  }

  async stats(group: CgroupRef): Promise<CgroupStats> {
    return this.call(undefined, 'stats', group, (p) => {
      const n = this.must(p);
      const c = n.counters;
      const has = (ctrl: string) => this.k.opts.controllers.includes(ctrl);
      const out: CgroupStats = {};
      if (has('pids')) out.pids = { current: n.subtreeMembers().length, max: n.resources.pids?.max ?? null, failcnt: c.pidsFailcnt, peak: c.pidsPeak };
      if (has('memory')) {
        const m = n.resources.memory;
        out.memory = {
          usage: c.memUsage, maxUsage: c.memMaxUsage, max: m?.max ?? null, failcnt: c.memFailcnt,
          swapUsage: c.swapUsage, kmemUsage: c.kmemUsage,
          stat: {
            rss: c.memUsage - c.shmem, shmem: c.shmem, sock: c.tcpUsage, swap: c.swapUsage,
            // v1 adds the hierarchical totals; v2 names anonymous memory `anon`.
            ...(this.version === 1 ? { total_rss: c.memUsage - c.shmem } : { anon: c.memUsage - c.shmem }),
          },
          // Without swap accounting (v1 booted with swapaccount=0) there are no memsw files.
          ...(this.version === 2 || this.k.opts.swapAccounting
            ? { swap: { usage: c.swapUsage, max: m?.swap ?? null, ...(this.swapFailuresCounted() ? { failcnt: c.swapFailcnt } : {}) } }
            : {}),
          oomKills: c.oomKills,
          // v1 has kmem and kmem.tcp counters with limits; v2 only reports usage from memory.stat.
          ...(this.version === 1
            ? { kmem: { usage: c.kmemUsage, maxUsage: c.kmemUsage, failcnt: 0, max: m?.kmem ?? null }, tcp: { usage: c.tcpUsage, maxUsage: c.tcpUsage, failcnt: 0, max: m?.kmemTcp ?? null } }
            : { kmem: { usage: c.kmemUsage }, tcp: { usage: c.tcpUsage } }),
        };
      }
      if (has('cpu')) out.cpu = { usageNs: c.cpuUsageNs, throttledNs: c.throttledNs };
      return out;
    });
  }

  /** Processes of the group and every group below it; none for a group that is not there. */
  async pids(group: CgroupRef): Promise<number[]> {
    return this.call(undefined, 'read cgroup.procs', group, (p) => (this.node(p)?.subtreeMembers() ?? []).sort((a, b) => a - b));
  }

  async freeze(group: CgroupRef): Promise<void> {
    this.call('cgroup.freeze', 'freeze', group, (p) => {
      if (this.version === 1 && !this.k.opts.controllers.includes('freezer')) throw fault('ENOENT');
      this.must(p).frozen = true;
    });
  }

  async thaw(group: CgroupRef): Promise<void> {
    this.call('cgroup.thaw', 'thaw', group, (p) => {
      const n = this.must(p);
      n.frozen = false;
      for (const pid of n.subtreeMembers()) this.k.processes.release(pid);
    });
  }

  async kill(group: CgroupRef): Promise<void> {
    this.call('cgroup.kill', 'kill', group, (p) => {
      for (const pid of this.node(p)?.subtreeMembers() ?? []) {
        const proc = this.k.processes.get(pid);
        if (proc) {
          proc.signals.push('SIGKILL');
          this.k.processes.die(proc, { signal: 'SIGKILL' });
        }
      }
    });
  }

  /** Removes the group and the groups below it, children first; EBUSY at the first that holds a process. */
  async destroy(group: CgroupRef): Promise<void> {
    this.call('cgroup.destroy', 'rmdir', group, (p) => {
      const remove = (n: CgNode): void => {
        for (const c of [...n.children.values()]) remove(c);
        if (!n.parent || n.members.size > 0) throw fault('EBUSY', this.dirOf(n.path));
        n.parent.children.delete(n.path.slice(n.path.lastIndexOf('/') + 1));
      };
      const n = this.node(p);
      if (n) remove(n);
    });
  }

  async prune(group: CgroupRef): Promise<void> {
    this.call('cgroup.prune', 'rmdir', group, (p) => {
      const n = this.node(p);
      if (n?.parent && n.members.size === 0 && n.children.size === 0) n.parent.children.delete(p.slice(p.lastIndexOf('/') + 1));
    });
  }

  async paths(group: CgroupRef): Promise<Record<string, string>> {
    return this.call(undefined, 'paths', group, (p) => this.pathsOf(p));
  }

  // --- kernel side -----------------------------------------------------------------

  /** Puts a process into a group (creating it: only for boot and fork). */
  place(pid: number, path: string): void {
    this.where.get(pid)?.members.delete(pid);
    const n = this.node(path, true)!;
    n.members.add(pid);
    this.where.set(pid, n);
    for (let a: CgNode | undefined = n; a; a = a.parent) a.counters.pidsPeak = Math.max(a.counters.pidsPeak, a.subtreeMembers().length);
  }

  /** A process is gone: out of its group, and the memory it charged is given back. */
  remove(pid: number): void {
    for (const { at, bytes } of this.charged.get(pid) ?? []) {
      for (let a: CgNode | undefined = at; a; a = a.parent) a.counters.memUsage = Math.max(0, a.counters.memUsage - bytes);
    }
    this.charged.delete(pid);
    this.where.get(pid)?.members.delete(pid);
    this.where.delete(pid);
  }

  /**
   * Process `pid` uses `memory` more bytes and `cpuNs` of CPU time, charged to its group
   * and every group above it (the page counter, cpuacct). A charge past a group's
   * memory.max fills the groups to that limit, counts failcnt there and ends in the OOM
   * killer: the process dies by SIGKILL, that group counts an oom_kill, and what the
   * process had charged is given back. There is no swap to spill into.
   */
  charge(pid: number, use: { memory?: number; cpuNs?: number }): void {
    const proc = this.k.processes.get(pid);
    const start = this.where.get(pid);
    if (!proc?.alive || !start) throw kernelError('SYSTEM', `charge ${pid}`, 'ESRCH');
    const chain: CgNode[] = [];
    for (let n: CgNode | undefined = start; n; n = n.parent) chain.push(n);
    for (const n of chain) n.counters.cpuUsageNs += use.cpuNs ?? 0;
    const want = use.memory ?? 0;
    const room = (n: CgNode) => {
      const max = n.resources.memory?.max;
      return max === undefined || max === null ? Infinity : max - n.counters.memUsage;
    };
    const full = chain.find((n) => room(n) < want);
    const take = full ? Math.max(0, room(full)) : want;
    for (const n of chain) {
      n.counters.memUsage += take;
      n.counters.memMaxUsage = Math.max(n.counters.memMaxUsage, n.counters.memUsage);
    }
    this.charged.set(pid, [...(this.charged.get(pid) ?? []), { at: start, bytes: take }]);
    if (full) {
      full.counters.memFailcnt++;
      full.counters.oomKills++;
      proc.signals.push('SIGKILL');
      this.k.processes.die(proc, { signal: 'SIGKILL' });
    }
  }

  /** A fork into `path` counts against every pids.max above it: EAGAIN (and failcnt) when one is full. */
  chargeFork(path: string): void {
    for (let n = this.node(path); n; n = n.parent) {
      const max = n.resources.pids?.max;
      if (max !== undefined && max !== null && n.subtreeMembers().length >= max) {
        n.counters.pidsFailcnt++;
        throw fault('EAGAIN');
      }
    }
  }

  frozen(pid: number): boolean {
    for (let n = this.where.get(pid); n; n = n.parent) if (n.frozen) return true;
    return false;
  }

  /** /proc/PID/cgroup of a process. */
  procFile(pid: number): string {
    const path = this.where.get(pid)?.path ?? '/';
    if (this.version === 2) return `0::${path}\n`;
    return this.k.opts.controllers.map((c, i) => `${this.k.opts.controllers.length - i}:${c}:${path}\n`).join('');
  }

  // --- test helpers ----------------------------------------------------------------

  /** The group a process is in (absolute path), undefined when it is gone. */
  groupOf(pid: number): string | undefined {
    return this.where.get(pid)?.path;
  }

  /** The limits stored for a group, as set() left them (memory rounded to pages); undefined if missing. */
  read(group: CgroupRef): CgroupResources | undefined {
    const n = this.call(undefined, 'read', group, (p) => this.node(p));
    return n && structuredClone(n.resources);
  }

  /** Every group, absolute paths, sorted. */
  groups(): string[] {
    const out: string[] = [];
    const walk = (n: CgNode) => {
      out.push(n.path);
      for (const c of n.children.values()) walk(c);
    };
    walk(this.root);
    return out.sort();
  }

  isFrozen(group: CgroupRef): boolean {
    return this.call(undefined, 'read freezer state', group, (p) => this.node(p)?.frozen ?? false);
  }

  /**
   * Sets what the group uses. Memory beyond the limit cannot be charged: usage stops at
   * the limit and failcnt counts the attempt, as the kernel's page counter does.
   */
  setUsage(group: CgroupRef, usage: { memory?: number; swap?: number; kmem?: number; tcp?: number; shmem?: number; oomKills?: number; cpuNs?: number; throttledNs?: number }): void {
    const n = this.call(undefined, 'set usage', group, (p) => this.must(p));
    const c = n.counters;
    if (usage.memory !== undefined) {
      const max = n.resources.memory?.max;
      if (max !== undefined && max !== null && usage.memory > max) {
        c.memFailcnt++;
        c.memUsage = max;
      } else c.memUsage = usage.memory;
      c.memMaxUsage = Math.max(c.memMaxUsage, c.memUsage);
    }
    if (usage.swap !== undefined) {
      // The swap room is the limit (v2 swap.max; v1 memsw less the RAM limit): beyond it the charge is refused.
      const room = n.resources.memory?.swap;
      if (room !== undefined && room !== null && usage.swap > room) {
        c.swapFailcnt++;
        c.swapUsage = room;
      } else c.swapUsage = usage.swap;
    }
    if (usage.kmem !== undefined) c.kmemUsage = usage.kmem;
    if (usage.tcp !== undefined) c.tcpUsage = usage.tcp;
    if (usage.shmem !== undefined) c.shmem = usage.shmem;
    if (usage.oomKills !== undefined) c.oomKills = usage.oomKills;
    if (usage.cpuNs !== undefined) c.cpuUsageNs = usage.cpuNs;
    if (usage.throttledNs !== undefined) c.throttledNs = usage.throttledNs;
  }

  /** Adds to a failcnt (as if the kernel had refused that many charges). */
  bumpFailcnt(group: CgroupRef, counter: 'pids' | 'memory' | 'swap', n = 1): void {
    const c = this.call(undefined, 'bump failcnt', group, (p) => this.must(p)).counters;
    if (counter === 'pids') c.pidsFailcnt += n;
    else if (counter === 'swap') c.swapFailcnt += n;
    else c.memFailcnt += n;
  }
}
