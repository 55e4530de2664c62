/**
 * CgroupV2Manager on a real unified hierarchy, as root, below our own cgroup
 * (`@self/vzkit-v2test-<pid>`): the CgroupManager contract (cgroup-contract.ts), then
 * what only v2 has — controllers handed down through subtree_control, the one `0::`
 * line, the no-internal-processes rule, a plain parent below the root. This host runs
 * cgroup v1, so the file runs in the QEMU guest of scripts/vm (Debian's 6.1 kernel,
 * cgroup2 only, the command in the root cgroup): scripts/run-vm-tests.sh. Anywhere else
 * (v1, no pids/memory controllers, not root, or our cgroup is not the root and so may not
 * hand controllers down) it skips itself.
 * Every test kills and removes its groups in afterEach and checks nothing is left.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isVzError, type CgroupManager, type CgroupRef } from '@vzkit/core';
import { CgroupV2Manager, detectCgroupManager } from '../src/cgroup/index.js';
import { createLinuxHost } from '../src/linux-host.js';
import { unifiedHost } from '../src/testing/index.js';
import { cgroupManagerContract, type HeldLimits, type KernelView } from './cgroup-contract.js';
import { kernelProcesses } from './cgroup-processes.js';

const ROOT = '/sys/fs/cgroup';
const PARENT = `@self/vzkit-v2test-${process.pid}`;
const GROUP = `${PARENT}/101`;
const MiB = 1024 * 1024;

const read = async (path: string) => (await readFile(path, 'utf8')).trim();
const isDir = (path: string) => stat(path).then((s) => s.isDirectory(), () => false);
const keyed = async (path: string) => Object.fromEntries((await read(path)).split('\n').map((l) => l.split(' ')).map(([k, v]) => [k, Number(v)]));
/** A v2 limit file: a number, or null for `max`. */
const limit = (text: string) => (text === 'max' ? null : Number(text));

/** The v2 files of a group, read straight from its directory. */
function v2Kernel(m: CgroupManager): KernelView {
  const dirOf = async (group: CgroupRef) => (await m.paths(group))['unified']!;
  return {
    async held(group: CgroupRef): Promise<HeldLimits> {
      const dir = await dirOf(group);
      const f = (name: string) => read(join(dir, name));
      const [quota, period] = (await f('cpu.max')).split(' ');
      const low = Number(await f('memory.low'));
      return {
        pidsMax: limit(await f('pids.max')),
        memoryMax: limit(await f('memory.max')),
        swap: limit(await f('memory.swap.max')),
        low: low === 0 ? null : low,
        cpuWeight: Number(await f('cpu.weight')),
        cpuQuota: limit(quota!),
        cpuPeriod: Number(period),
        cpus: await f('cpuset.cpus'),
        mems: await f('cpuset.mems'),
      };
    },
    async present(group) {
      return (await isDir(await dirOf(group))) ? 'all' : 'none';
    },
    async frozen(group) {
      const dir = await dirOf(group);
      // cgroup.freeze is what was asked, cgroup.events what the kernel has done.
      const state = `${(await keyed(join(dir, 'cgroup.events')))['frozen']}${await read(join(dir, 'cgroup.freeze'))}`;
      return state === '11' ? 'frozen' : state === '00' ? 'thawed' : 'between';
    },
    async events(group) {
      const dir = await dirOf(group);
      return { forksRefused: (await keyed(join(dir, 'pids.events')))['max']!, oomKills: (await keyed(join(dir, 'memory.events')))['oom_kill']! };
    },
  };
}

cgroupManagerContract('v2 on the guest kernel (root, in the VM)', async () => {
  const manager = await detectCgroupManager();
  expect(manager).toBeInstanceOf(CgroupV2Manager);
  return { manager, impatient: new CgroupV2Manager({ busyRetryMs: 100 }), kernel: v2Kernel(manager), processes: kernelProcesses() };
}, {
  parent: PARENT,
  controllers: ['unified', 'pids', 'memory', 'cpu', 'cpuset'],
  memoryStatKey: 'anon',
  countsMemoryFailcnt: true,
  waitMs: 30_000,
  skip: !unifiedHost(),
});

describe.skipIf(!unifiedHost())('CgroupV2Manager on a cgroup v2 kernel: what only v2 has', () => {
  let m: CgroupManager;
  let dir: string;
  let parentDir: string;
  const started: ChildProcess[] = [];
  const cleanups: (() => Promise<void>)[] = [];

  /** A process of ours, killed by pid in afterEach if a test leaves it. */
  function start(argv: string[]): ChildProcess {
    const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: 'ignore' });
    started.push(child);
    return child;
  }

  const exitOf = (child: ChildProcess) =>
    child.exitCode !== null || child.signalCode !== null
      ? Promise.resolve({ code: child.exitCode, signal: child.signalCode })
      : new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.once('exit', (code, signal) => res({ code, signal })));

  beforeEach(async () => {
    m = await detectCgroupManager();
    parentDir = (await m.paths(PARENT))['unified']!;
    dir = (await m.paths(GROUP))['unified']!;
  });

  afterEach(async () => {
    for (const child of started.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) {
        try { process.kill(child.pid!, 'SIGKILL'); } catch { /* already gone */ }
      }
    }
    for (const c of cleanups.splice(0)) await c();
    await m.kill(PARENT);
    await m.destroy(PARENT);
    expect(await isDir(parentDir), parentDir).toBe(false);
  });

  it('creates the group below our own (root) cgroup and hands the controllers down to it', async () => {
    expect(m.version).toBe(2);
    expect(await m.controllers()).toEqual(expect.arrayContaining(['pids', 'memory', 'cpu']));
    expect(dir).toBe(join(ROOT, `vzkit-v2test-${process.pid}`, '101'));
    await m.create(GROUP);
    const wanted = (await m.controllers()).sort();
    expect((await read(join(parentDir, 'cgroup.subtree_control'))).split(' ').sort()).toEqual(expect.arrayContaining(wanted));
    expect((await read(join(dir, 'cgroup.controllers'))).split(' ').sort()).toEqual(wanted);
    expect(await read(join(dir, 'cgroup.subtree_control'))).toBe('');
    expect(new Set(Object.values(await m.paths(GROUP)))).toEqual(new Set([dir]));
  });

  it('puts an attached process in the group: its one 0:: line names it', async () => {
    await m.create(GROUP);
    const a = start(['sleep', '60']);
    await m.attach(GROUP, a.pid!);
    expect(await read(`/proc/${a.pid}/cgroup`)).toBe(`0::/vzkit-v2test-${process.pid}/101`);
  });

  it('LinuxHost picks the v2 backend; a plain parent (like the default `vzkit`) goes below the root', async () => {
    const host = await createLinuxHost();
    expect(host.cgroups).toBeInstanceOf(CgroupV2Manager);
    const plain = `vzkit-v2plain-${process.pid}`;
    cleanups.push(async () => {
      await host.cgroups.kill(plain);
      await host.cgroups.destroy(plain);
      expect(await isDir(join(ROOT, plain))).toBe(false);
    });
    await host.cgroups.create(`${plain}/101`);
    expect((await host.cgroups.paths(`${plain}/101`))['unified']).toBe(join(ROOT, plain, '101'));
    const a = start(['sleep', '60']);
    await host.cgroups.attach(`${plain}/101`, a.pid!);
    await host.cgroups.set(`${plain}/101`, { pids: { max: 10 }, memory: { max: 64 * MiB } });
    expect((await host.cgroups.stats(`${plain}/101`)).pids).toMatchObject({ current: 1, max: 10 });
    await host.cgroups.kill(`${plain}/101`);
    expect((await exitOf(a)).signal).toBe('SIGKILL');
  });

  it('explains the no-internal-processes rule when @self holds processes', async () => {
    // A manager that believes it lives in a non-root cgroup that holds a process.
    const busy = join(ROOT, `vzkit-v2busy-${process.pid}`);
    const tmp = await mkdtemp(join(tmpdir(), 'vzkit-v2self-'));
    await mkdir(busy);
    cleanups.push(async () => {
      await m.kill(`vzkit-v2busy-${process.pid}`);
      await rmdir(busy);
      await rm(tmp, { recursive: true });
    });
    const a = start(['sleep', '60']);
    await writeFile(join(busy, 'cgroup.procs'), String(a.pid));
    await writeFile(join(tmp, 'cgroup'), `0::/vzkit-v2busy-${process.pid}\n`);
    const other = new CgroupV2Manager({ procSelfCgroup: join(tmp, 'cgroup') });
    const e = await other.create('@self/ve').catch((err: unknown) => err);
    expect(isVzError(e) && [e.code, e.errno, e.path]).toEqual(['UNSUPPORTED', 'EBUSY', join(busy, 'cgroup.subtree_control')]);
    expect((e as Error).message).toContain(`the parent cgroup ${busy} holds processes (pids ${a.pid})`);
    expect(await isDir(join(busy, 've'))).toBe(false);
  });
});
