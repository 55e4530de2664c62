/**
 * What every CgroupManager must do, as one suite run against each backend: the v1
 * backend on this host's kernel (cgroup-v1.it.test.ts), the v2 backend on the guest's
 * (cgroup-v2.vm.test.ts) and FakeHost's cgroups in both modes (cgroup-fake.test.ts), so
 * the fake is held to what the kernel does. The suite speaks through the interface and a
 * small view of the kernel's own state per backend (its files, or the fake's model);
 * what only one backend has (v1 memsw ordering, v2 subtree_control) stays in that
 * backend's file. Every test removes its groups in afterEach and checks none is left.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isVzError, type CgroupManager, type CgroupRef, type VzError } from '@vzkit/core';

const MiB = 1024 * 1024;

/** How a test process ended. */
export interface ProcessExit {
  code: number | null;
  signal: string | null;
}

/** A process of the test's own, in whatever world the backend lives in. */
export interface ContractProcess {
  readonly pid: number;
  /** Lets a forker or a hog, which wait for it, go on. */
  go(): void;
  /** Resolves once the process has ended. */
  exit(): Promise<ProcessExit>;
}

/** The programs the suite runs inside groups. */
export interface ContractProcesses {
  /** Sleeps until killed. */
  sleeper(): ContractProcess;
  /** On go: starts `n` sleepers one after the other (a fork each), then waits for them. */
  forker(n: number): ContractProcess;
  /** On go: fills a `mib` MiB buffer, then exits 0. */
  hog(mib: number): ContractProcess;
  /** Ends, by pid, every process the test started that still runs. */
  reap(): Promise<void>;
}

/** Limits as the kernel holds them for a group, read without the manager, in the words of CgroupResources. */
export interface HeldLimits {
  pidsMax: number | null;
  memoryMax: number | null;
  /** Swap room on top of memoryMax (v1: memsw limit less the RAM limit). */
  swap: number | null;
  /** Protection; none reads null (v1 unlimited soft limit, v2 memory.low 0). */
  low: number | null;
  cpuWeight: number;
  cpuQuota: number | null;
  cpuPeriod: number;
  cpus: string;
  mems: string;
}

/** The kernel's side of a backend: what its files (or the fake's model) say. */
export interface KernelView {
  held(group: CgroupRef): Promise<HeldLimits>;
  /** Whether the group's directory is there: in every hierarchy, in none, or in some. */
  present(group: CgroupRef): Promise<'all' | 'some' | 'none'>;
  /** The freezer's state: `between` while freezing or thawing is still under way. */
  frozen(group: CgroupRef): Promise<'frozen' | 'thawed' | 'between'>;
  /** The kernel's own event counters: forks refused by pids.max, OOM kills. */
  events(group: CgroupRef): Promise<{ forksRefused: number; oomKills: number }>;
}

/** One backend, made afresh for each test. */
export interface ContractSubject {
  manager: CgroupManager;
  /** A manager on the same groups that gives up a busy rmdir after ~100 ms. */
  impatient: CgroupManager;
  kernel: KernelView;
  processes: ContractProcesses;
}

export interface ContractOptions {
  /** The private parent of the test's groups, below `@self`. */
  parent: CgroupRef;
  /** Keys `paths()` must have for a group. */
  controllers: string[];
  /** A key memory.stat has on this backend (`total_rss` in v1, `anon` in v2). */
  memoryStatKey: string;
  /**
   * Whether memory.failcnt counts charges refused at the limit: v1 on this host's 6.18
   * leaves it at 0 even when the limit is hit (the peak and oom_kill show it).
   */
  countsMemoryFailcnt: boolean;
  /** How long to wait for the kernel (a fork refused, a thaw); the emulated guest is slow. */
  waitMs: number;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function caught(p: Promise<unknown>): Promise<VzError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  if (!isVzError(e)) throw new Error(`expected a VzError, got ${String(e)}`);
  return e;
}

/** True when `path` is one of the group's directories or a file in one. */
function inGroupDirs(path: string | undefined, dirs: Record<string, string>): boolean {
  return path !== undefined && Object.values(dirs).some((d) => path === d || path.startsWith(`${d}/`));
}

/**
 * Defines the contract's tests for one backend: `setup` makes it for each test
 * (`skip` leaves them out where the backend cannot run, e.g. not root).
 */
export function cgroupManagerContract(name: string, setup: () => Promise<ContractSubject>, opts: ContractOptions & { skip?: boolean }): void {
  const PARENT = opts.parent;
  const GROUP = `${PARENT}/101`;
  // What an error message must name: the group below @self (the real backends name its directory).
  const named = GROUP.replace(/^@self\//, '');

  describe.skipIf(opts.skip ?? false)(`CgroupManager contract: ${name}`, () => {
    let m: CgroupManager;
    let s: ContractSubject;

    beforeEach(async () => {
      s = await setup();
      m = s.manager;
    });

    afterEach(async () => {
      await s.processes.reap();
      await m.thaw(PARENT).catch(() => undefined);
      await m.kill(PARENT);
      await m.destroy(PARENT);
      expect(await s.kernel.present(PARENT)).toBe('none');
    });

    it('creates the group and its parents in every hierarchy, and again without harm', async () => {
      expect(await m.exists(GROUP)).toBe(false);
      await m.create(GROUP);
      expect(await m.exists(GROUP)).toBe(true);
      expect(await m.exists(PARENT)).toBe(true);
      expect(Object.keys(await m.paths(GROUP))).toEqual(expect.arrayContaining(opts.controllers));
      expect(await s.kernel.present(GROUP)).toBe('all');
      await m.create(GROUP);
      expect(await m.exists(GROUP)).toBe(true);
    });

    it('writes limits the kernel holds, and null takes each away', async () => {
      await m.create(GROUP);
      await m.set(GROUP, { pids: { max: 5 }, cpu: { weight: 50, period: 100000, quota: 50000 }, cpuset: { cpus: '0', mems: '0' } });
      await m.set(GROUP, { memory: { max: 64 * MiB, swap: 32 * MiB, low: 16 * MiB, kmem: 64 * MiB, kmemTcp: 8 * MiB } });
      expect(await s.kernel.held(GROUP)).toEqual({
        pidsMax: 5, memoryMax: 64 * MiB, swap: 32 * MiB, low: 16 * MiB,
        cpuWeight: 50, cpuQuota: 50000, cpuPeriod: 100000, cpus: '0', mems: '0',
      });
      await m.set(GROUP, { pids: { max: null }, memory: { max: null, swap: null, low: null }, cpu: { quota: null } });
      expect(await s.kernel.held(GROUP)).toMatchObject({ pidsMax: null, memoryMax: null, swap: null, low: null, cpuQuota: null, cpuPeriod: 100000 });
      const stats = await m.stats(GROUP);
      expect(stats.memory?.max).toBeNull();
      expect(stats.pids).toMatchObject({ current: 0, max: null, failcnt: 0 });
    });

    it('reports a kernel refusal with its errno, naming the file and the value', async () => {
      await m.create(GROUP);
      const e = await caught(m.set(GROUP, { cpuset: { cpus: '999' } }));
      const file = `${(await m.paths(GROUP))['cpuset']}/cpuset.cpus`;
      expect([e.errno, e.path]).toEqual(['ERANGE', file]);
      expect(e.message).toContain(`write 999 to ${file}: ERANGE`);
    });

    it('fails on a group that is not there with ENOENT, naming its directory', async () => {
      const dirs = await m.paths(GROUP);
      const p = s.processes.sleeper();
      for (const call of [() => m.attach(GROUP, p.pid), () => m.set(GROUP, { pids: { max: 5 } }), () => m.stats(GROUP)]) {
        const e = await caught(call());
        expect(e.errno).toBe('ENOENT');
        expect(inGroupDirs(e.path, dirs), e.path).toBe(true);
        expect(e.message).toContain(named);
      }
      expect(await s.kernel.present(GROUP)).toBe('none');
    });

    it('attaches processes, lists them and counts them', async () => {
      await m.create(GROUP);
      const a = s.processes.sleeper();
      const b = s.processes.sleeper();
      await m.attach(GROUP, a.pid);
      await m.attach(GROUP, b.pid);
      await m.attach(GROUP, b.pid); // already there: no change
      expect(await m.pids(GROUP)).toEqual([a.pid, b.pid].sort((x, y) => x - y));
      const stats = await m.stats(GROUP);
      expect(stats.pids).toMatchObject({ current: 2, max: null, failcnt: 0 });
      if (stats.pids?.peak !== undefined) expect(stats.pids.peak).toBeGreaterThanOrEqual(2);
      expect(stats.memory?.stat).toHaveProperty(opts.memoryStatKey);
      expect(stats.cpu?.usageNs).toBeGreaterThanOrEqual(0);
    });

    it('samples many groups at once: counters as they move, a removed group left out, one made again read afresh', async () => {
      await m.create(GROUP);
      await m.attach(GROUP, s.processes.sleeper().pid);
      expect((await m.sample([GROUP])).get(GROUP)?.pids?.current).toBe(1);
      await m.attach(GROUP, s.processes.sleeper().pid);
      const stats = (await m.sample([GROUP])).get(GROUP)!;
      expect(stats.pids?.current).toBe(2);
      expect(stats.memory?.usage).toBeGreaterThanOrEqual(0);
      await m.kill(GROUP);
      await m.destroy(GROUP);
      // A backend that keeps descriptors now reads ENODEV from them: the group is left out.
      expect((await m.sample([GROUP])).size).toBe(0);
      await m.create(GROUP);
      await m.attach(GROUP, s.processes.sleeper().pid);
      expect((await m.sample([GROUP])).get(GROUP)?.pids?.current).toBe(1);
    });

    it('refuses forks over pids.max and counts them', async () => {
      await m.create(GROUP);
      await m.set(GROUP, { pids: { max: 5 } });
      const forker = s.processes.forker(8);
      await m.attach(GROUP, forker.pid);
      forker.go();
      await until('a refused fork', async () => ((await m.stats(GROUP)).pids?.failcnt ?? 0) > 0, opts.waitMs);
      const stats = await m.stats(GROUP);
      expect(stats.pids?.max).toBe(5);
      expect(stats.pids?.current).toBeLessThanOrEqual(5);
      expect(stats.pids?.failcnt).toBe((await s.kernel.events(GROUP)).forksRefused);
      if (stats.pids?.peak !== undefined) expect(stats.pids.peak).toBe(5);
    });

    it('OOM-kills a hog over the memory limit and counts it; a limit raised live lets the next run', async () => {
      await m.create(GROUP);
      await m.set(GROUP, { memory: { max: 32 * MiB, swap: 0 } });
      // Each hog waits for go so that it is in the group before it allocates.
      const first = s.processes.hog(128);
      await m.attach(GROUP, first.pid);
      first.go();
      expect((await first.exit()).signal).toBe('SIGKILL');
      const stats = await m.stats(GROUP);
      const mem = stats.memory!;
      expect(mem.max).toBe(32 * MiB);
      if (opts.countsMemoryFailcnt) expect(mem.failcnt).toBeGreaterThan(0);
      expect(mem.oomKills).toBeGreaterThanOrEqual(1);
      expect(mem.oomKills).toBe((await s.kernel.events(GROUP)).oomKills);
      expect(mem.maxUsage).toBeGreaterThan(16 * MiB);
      expect(mem.maxUsage).toBeLessThanOrEqual(32 * MiB);
      expect(mem.swap).toMatchObject({ usage: 0, max: 0 });
      expect(mem.kmem?.usage).toBeGreaterThanOrEqual(0);
      expect(mem.tcp?.usage).toBeGreaterThanOrEqual(0);
      expect(stats.cpu?.usageNs).toBeGreaterThan(0);

      // The next one joins under the old limit, which is raised while it waits.
      const second = s.processes.hog(64);
      await m.attach(GROUP, second.pid);
      await m.set(GROUP, { memory: { max: 256 * MiB } });
      expect((await s.kernel.held(GROUP)).memoryMax).toBe(256 * MiB);
      second.go();
      expect(await second.exit()).toEqual({ code: 0, signal: null });
      const after = (await m.stats(GROUP)).memory!;
      expect(after.oomKills).toBe(mem.oomKills);
      expect(after.maxUsage).toBeGreaterThan(64 * MiB);
    });

    it('freezes and thaws', async () => {
      await m.create(GROUP);
      const a = s.processes.sleeper();
      await m.attach(GROUP, a.pid);
      await m.freeze(GROUP);
      expect(await s.kernel.frozen(GROUP)).toBe('frozen');
      await m.thaw(GROUP);
      await until('thawed', async () => (await s.kernel.frozen(GROUP)) === 'thawed', opts.waitMs);
    });

    it('kill empties the group and the groups below it, frozen or not; destroy then removes them all', async () => {
      // v2 lets no process sit in a group whose children have controllers: 101 stays
      // empty and both processes go below it.
      await m.create(`${GROUP}/inner`);
      await m.create(`${GROUP}/other`);
      const a = s.processes.sleeper();
      const b = s.processes.forker(2);
      await m.attach(`${GROUP}/other`, a.pid);
      await m.attach(`${GROUP}/inner`, b.pid);
      b.go();
      await until('the forker to fork', async () => (await m.pids(GROUP)).length === 4, opts.waitMs);
      await m.freeze(GROUP);
      await m.kill(GROUP);
      expect(await m.pids(GROUP)).toEqual([]);
      expect((await a.exit()).signal).toBe('SIGKILL');
      await m.destroy(GROUP);
      for (const g of [`${GROUP}/inner`, `${GROUP}/other`, GROUP]) expect(await s.kernel.present(g), g).toBe('none');
      expect(await m.exists(GROUP)).toBe(false);
    });

    it('kill, destroy, prune and pids of a group that is not there do nothing', async () => {
      await m.kill(GROUP);
      await m.destroy(GROUP);
      await m.prune(GROUP);
      expect(await m.pids(GROUP)).toEqual([]);
      expect(await s.kernel.present(GROUP)).toBe('none');
    });

    it('destroy of a group with a live process fails with EBUSY naming its directory', async () => {
      const quick = s.impatient;
      await quick.create(GROUP);
      const a = s.processes.sleeper();
      await quick.attach(GROUP, a.pid);
      const e = await caught(quick.destroy(GROUP));
      expect(e.errno).toBe('EBUSY');
      expect(Object.values(await quick.paths(GROUP))).toContain(e.path);
      expect(await m.pids(GROUP)).toEqual([a.pid]);
    });

    it('prune removes an empty group and leaves one with processes or children', async () => {
      await m.create(`${GROUP}/empty`);
      await m.create(`${GROUP}/busy`);
      const a = s.processes.sleeper();
      await m.attach(`${GROUP}/busy`, a.pid);
      await m.prune(`${GROUP}/empty`);
      await m.prune(`${GROUP}/busy`);
      await m.prune(GROUP);
      expect(await s.kernel.present(`${GROUP}/empty`)).toBe('none');
      expect(await s.kernel.present(`${GROUP}/busy`)).toBe('all');
      expect(await s.kernel.present(GROUP)).toBe('all');
      expect(await m.pids(GROUP)).toEqual([a.pid]);
    });
  });
}
