/**
 * FakeHost's cgroups, v1 and v2, held to the CgroupManager contract the kernel backends
 * pass (cgroup-contract.ts): what plugin tests learn from the fake is what the kernel
 * would do. The programs are played on the fake kernel: a fork is `processes.spawn`, a
 * hog charges memory and CPU time to its group (`cgroups.charge`).
 */
import { describe, expect, it } from 'vitest';
import { errnoOf, FakeHost, type FakeHostOptions } from '@vzkit/fake-host';
import type { CgroupRef } from '@vzkit/core';
import { cgroupManagerContract, type ContractProcess, type ContractProcesses, type KernelView } from './cgroup-contract.js';

const MiB = 1024 * 1024;

function fakeProcesses(fake: FakeHost): ContractProcesses {
  const mine: number[] = [];
  const start = (argv: string[], onGo: (pid: number) => void = () => undefined): ContractProcess => {
    const pid = fake.processes.spawn(fake.selfPid, argv);
    mine.push(pid);
    return {
      pid,
      go: () => onGo(pid),
      async exit() {
        await fake.processes.waitExit(pid, 60_000);
        const x = fake.process(pid)!.exit!;
        return { code: x.code ?? null, signal: x.signal ?? null };
      },
    };
  };
  return {
    sleeper: () => start(['sleep', '60']),
    forker: (n) => start(['sh', '-c', 'for ...; do sleep 30 & done; wait'], (pid) => {
      for (let i = 0; i < n; i++) {
        try {
          mine.push(fake.processes.spawn(pid, ['sleep', '30']));
        } catch (e) {
          // The shell says it cannot fork and goes on with the loop.
          if (errnoOf(e) !== 'EAGAIN') throw e;
        }
      }
    }),
    // dd: its buffer, a MiB of its own and some CPU time; it exits unless the OOM killer came first.
    hog: (mib) => start(['dd'], (pid) => {
      fake.cgroups.charge(pid, { memory: (mib + 1) * MiB, cpuNs: 5_000_000 });
      if (fake.process(pid)?.alive) fake.processes.exit(pid, { code: 0 });
    }),
    async reap() {
      for (const pid of mine.splice(0)) await fake.processes.signal(pid, 'SIGKILL');
    },
  };
}

function fakeKernel(fake: FakeHost): KernelView {
  const resources = (group: CgroupRef) => {
    const r = fake.cgroups.read(group);
    if (!r) throw new Error(`no group ${group}`);
    return r;
  };
  return {
    async held(group) {
      const r = resources(group);
      return {
        pidsMax: r.pids?.max ?? null,
        memoryMax: r.memory?.max ?? null,
        swap: r.memory?.swap ?? null,
        low: r.memory?.low || null,
        cpuWeight: r.cpu?.weight ?? 100,
        cpuQuota: r.cpu?.quota ?? null,
        cpuPeriod: r.cpu?.period ?? 100_000,
        cpus: r.cpuset?.cpus ?? '',
        mems: r.cpuset?.mems ?? '',
      };
    },
    async present(group) {
      return fake.cgroups.groups().includes(fake.cgroups.resolve(group)) ? 'all' : 'none';
    },
    async frozen(group) {
      return fake.cgroups.isFrozen(group) ? 'frozen' : 'thawed';
    },
    async events(group) {
      // The fake's stats read its counters directly: there is no second view to compare.
      const s = await fake.cgroups.stats(group);
      return { forksRefused: s.pids!.failcnt, oomKills: s.memory!.oomKills! };
    },
  };
}

for (const [version, controllers, memoryStatKey] of [
  [1, ['blkio', 'cpu', 'cpuacct', 'cpuset', 'devices', 'freezer', 'memory', 'pids'], 'total_rss'],
  [2, ['unified', 'cpu', 'cpuset', 'io', 'memory', 'pids'], 'anon'],
] as const) {
  const opts: FakeHostOptions = { cgroupVersion: version };
  cgroupManagerContract(`FakeHost, cgroup v${version}`, async () => {
    const fake = new FakeHost(opts);
    return { manager: fake.cgroups, impatient: fake.cgroups, kernel: fakeKernel(fake), processes: fakeProcesses(fake) };
  }, { parent: '@self/vzkit-test', controllers: [...controllers], memoryStatKey, countsMemoryFailcnt: true, waitMs: 1000 });
}

describe('FakeHost cgroups: the contract\'s own checks', () => {
  it('a hog charged past the limit of a group above its own is OOM-killed there', async () => {
    const fake = new FakeHost();
    await fake.cgroups.create('@self/p/101');
    await fake.cgroups.set('@self/p', { memory: { max: 8 * MiB } });
    const pid = fake.processes.spawn(fake.selfPid, ['dd']);
    await fake.cgroups.attach('@self/p/101', pid);
    fake.cgroups.charge(pid, { memory: 16 * MiB });
    expect(fake.process(pid)).toMatchObject({ alive: false, exit: { signal: 'SIGKILL' } });
    expect((await fake.cgroups.stats('@self/p')).memory).toMatchObject({ oomKills: 1, failcnt: 1, usage: 0, maxUsage: 8 * MiB });
    expect((await fake.cgroups.stats('@self/p/101')).memory).toMatchObject({ oomKills: 0, usage: 0, maxUsage: 8 * MiB });
  });
});
