/**
 * CgroupV1Manager on the real kernel, as root, below our own cgroups
 * (`@self/vzkit-test-<pid>-<random>`): the CgroupManager contract (cgroup-contract.ts),
 * then what only v1 has — one directory per hierarchy, cpusets copied down, memsw
 * ordered against the RAM limit, counters that exist only where their files do. Every
 * test kills and removes its groups in afterEach, and checks that nothing is left behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CgroupManager, CgroupRef } from '@vzkit/core';
import { CgroupV1Manager, detectCgroupManager } from '../src/cgroup/index.js';
import { cgroupManagerContract, type HeldLimits, type KernelView } from './cgroup-contract.js';
import { kernelProcesses } from './cgroup-processes.js';

const PARENT = `@self/vzkit-test-${process.pid}-${randomBytes(3).toString('hex')}`;
const GROUP = `${PARENT}/101`;
const MiB = 1024 * 1024;
const canRun = process.getuid?.() === 0;

const read = async (path: string) => (await readFile(path, 'utf8')).trim();
const readOptional = (path: string) => read(path).catch(() => undefined);
const isDir = (path: string) => stat(path).then((s) => s.isDirectory(), () => false);
const isFile = (path: string) => stat(path).then((s) => s.isFile(), () => false);
const keyed = (text: string | undefined) => Object.fromEntries((text ?? '').split('\n').map((l) => l.split(' ')).map(([k, v]) => [k, Number(v)]));

/** v1 reports "no limit" as PAGE_COUNTER_MAX in bytes. */
const bytes = (text: string) => (Number(text) >= 2 ** 62 ? null : Number(text));

/** The v1 files of a group, read straight from the hierarchies. */
function v1Kernel(m: CgroupManager): KernelView {
  return {
    async held(group: CgroupRef): Promise<HeldLimits> {
      const p = await m.paths(group);
      const f = (controller: string, file: string) => read(join(p[controller]!, file));
      const pidsMax = await f('pids', 'pids.max');
      const limit = bytes(await f('memory', 'memory.limit_in_bytes'));
      const memsw = bytes(await f('memory', 'memory.memsw.limit_in_bytes'));
      const quota = Number(await f('cpu', 'cpu.cfs_quota_us'));
      return {
        pidsMax: pidsMax === 'max' ? null : Number(pidsMax),
        memoryMax: limit,
        swap: memsw === null ? null : memsw - (limit ?? 0),
        low: bytes(await f('memory', 'memory.soft_limit_in_bytes')),
        cpuWeight: Math.round((Number(await f('cpu', 'cpu.shares')) * 100) / 1024),
        cpuQuota: quota < 0 ? null : quota,
        cpuPeriod: Number(await f('cpu', 'cpu.cfs_period_us')),
        cpus: await f('cpuset', 'cpuset.cpus'),
        mems: await f('cpuset', 'cpuset.mems'),
      };
    },
    async present(group) {
      const found = await Promise.all(Object.values(await m.paths(group)).map(isDir));
      return found.every(Boolean) ? 'all' : found.some(Boolean) ? 'some' : 'none';
    },
    async frozen(group) {
      const state = await read(join((await m.paths(group))['freezer']!, 'freezer.state'));
      return state === 'FROZEN' ? 'frozen' : state === 'THAWED' ? 'thawed' : 'between';
    },
    async events(group) {
      const p = await m.paths(group);
      return {
        forksRefused: keyed(await readOptional(join(p['pids']!, 'pids.events')))['max'] ?? 0,
        oomKills: keyed(await read(join(p['memory']!, 'memory.oom_control')))['oom_kill']!,
      };
    },
  };
}

cgroupManagerContract('v1 on this kernel (root)', async () => {
  const manager = await detectCgroupManager();
  expect(manager).toBeInstanceOf(CgroupV1Manager);
  return { manager, impatient: new CgroupV1Manager({ busyRetryMs: 100 }), kernel: v1Kernel(manager), processes: kernelProcesses() };
}, {
  parent: PARENT,
  controllers: ['blkio', 'cpu', 'cpuacct', 'cpuset', 'devices', 'freezer', 'memory', 'pids'],
  memoryStatKey: 'total_rss',
  countsMemoryFailcnt: false,
  waitMs: 5000,
  skip: !canRun,
});

describe.skipIf(!canRun)('CgroupV1Manager on this kernel: what only v1 has', () => {
  let m: CgroupManager;
  let parentDirs: string[];
  const started: ChildProcess[] = [];

  beforeEach(async () => {
    m = await detectCgroupManager();
    parentDirs = Object.values(await m.paths(PARENT));
  });

  afterEach(async () => {
    for (const child of started.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) {
        try { process.kill(child.pid!, 'SIGKILL'); } catch { /* already gone */ }
      }
    }
    await m.kill(PARENT);
    await m.destroy(PARENT);
    for (const d of parentDirs) expect(await isDir(d), d).toBe(false);
  });

  it('makes a directory in each of the eight hierarchies, @self under our memory cgroup, cpusets copied down', async () => {
    await m.create(GROUP);
    const paths = await m.paths(GROUP);
    expect(Object.keys(paths).sort()).toEqual(['blkio', 'cpu', 'cpuacct', 'cpuset', 'devices', 'freezer', 'memory', 'pids']);
    const ownMemory = (await readFile('/proc/self/cgroup', 'utf8')).match(/^\d+:memory:(.*)$/m)![1]!;
    expect(paths['memory']).toBe(join('/sys/fs/cgroup/memory', ownMemory, GROUP.slice('@self/'.length)));
    expect(await read(join(paths['cpuset']!, 'cpuset.cpus'))).toBe(await read('/sys/fs/cgroup/cpuset/cpuset.cpus'));
    expect(await read(join(paths['cpuset']!, 'cpuset.mems'))).not.toBe('');
  });

  it('orders memsw against the RAM limit both ways', async () => {
    await m.create(GROUP);
    const p = await m.paths(GROUP);
    const mem = (f: string) => read(join(p['memory']!, `memory.${f}`));
    await m.set(GROUP, { memory: { max: 64 * MiB, swap: 32 * MiB } });
    expect([await mem('limit_in_bytes'), await mem('memsw.limit_in_bytes')]).toEqual([`${64 * MiB}`, `${96 * MiB}`]);
    await m.set(GROUP, { memory: { max: 256 * MiB, swap: 0 } }); // raise: memsw goes first
    expect([await mem('limit_in_bytes'), await mem('memsw.limit_in_bytes')]).toEqual([`${256 * MiB}`, `${256 * MiB}`]);
    await m.set(GROUP, { memory: { max: 32 * MiB } }); // lower: limit goes first
    expect([await mem('limit_in_bytes'), await mem('memsw.limit_in_bytes')]).toEqual([`${32 * MiB}`, `${32 * MiB}`]);
  });

  it('puts an attached process in cgroup.procs of every hierarchy', async () => {
    await m.create(GROUP);
    const a = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
    started.push(a);
    await m.attach(GROUP, a.pid!);
    for (const d of Object.values(await m.paths(GROUP))) expect(await read(join(d, 'cgroup.procs')), d).toBe(String(a.pid));
  });

  it('reports the memsw, kmem and tcp counters exactly where the kernel has their files', async () => {
    await m.create(GROUP);
    const p = await m.paths(GROUP);
    const s = await m.stats(GROUP);
    for (const [key, file] of [['swap', 'memsw'], ['kmem', 'kmem'], ['tcp', 'kmem.tcp']] as const) {
      const has = await isFile(join(p['memory']!, `memory.${file}.usage_in_bytes`));
      expect(s.memory?.[key] !== undefined, key).toBe(has);
      if (has) expect(s.memory?.[key]?.maxUsage, key).toBeGreaterThanOrEqual(s.memory![key]!.usage);
    }
    expect(s.pids?.peak !== undefined).toBe(await isFile(join(p['pids']!, 'pids.peak')));
  });
});
