/**
 * CgroupV1Manager on the real kernel, as root, below our own cgroups
 * (`@self/vzkit-test-<pid>-<random>`). Every test kills and removes its groups in
 * afterEach, and checks that nothing is left behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isVzError, type CgroupManager } from '@vzkit/core';
import { CgroupV1Manager, detectCgroupManager } from '../src/cgroup/index.js';

const PARENT = `@self/vzkit-test-${process.pid}-${randomBytes(3).toString('hex')}`;
const GROUP = `${PARENT}/101`;
const MiB = 1024 * 1024;
const canRun = process.getuid?.() === 0;

const read = async (path: string) => (await readFile(path, 'utf8')).trim();
const isDir = (path: string) => stat(path).then((s) => s.isDirectory(), () => false);
const isFile = (path: string) => stat(path).then((s) => s.isFile(), () => false);

let m: CgroupManager;
let parentDirs: string[];
const started: ChildProcess[] = [];

/** A process of ours, killed by pid in afterEach if a test leaves it. */
function start(argv: string[], stdin: 'ignore' | 'pipe' = 'ignore'): ChildProcess {
  const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: [stdin, 'ignore', 'ignore'] });
  started.push(child);
  return child;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe.skipIf(!canRun)('CgroupV1Manager on this kernel (root)', () => {
  beforeEach(async () => {
    m = await detectCgroupManager();
    expect(m).toBeInstanceOf(CgroupV1Manager);
    parentDirs = Object.values(await m.paths(PARENT));
  });

  afterEach(async () => {
    for (const child of started.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) {
        try { process.kill(child.pid!, 'SIGKILL'); } catch { /* already gone */ }
      }
    }
    await m.thaw(PARENT).catch(() => undefined);
    await m.kill(PARENT);
    await m.destroy(PARENT);
    for (const d of parentDirs) expect(await isDir(d), d).toBe(false);
  });

  it('creates the group in every hierarchy, @self under our memory cgroup', async () => {
    await m.create(GROUP);
    const paths = await m.paths(GROUP);
    expect(Object.keys(paths).sort()).toEqual(['blkio', 'cpu', 'cpuacct', 'cpuset', 'devices', 'freezer', 'memory', 'pids']);
    for (const [c, d] of Object.entries(paths)) expect(await isDir(d), c).toBe(true);
    const ownMemory = (await readFile('/proc/self/cgroup', 'utf8')).match(/^\d+:memory:(.*)$/m)![1]!;
    expect(paths['memory']).toBe(join('/sys/fs/cgroup/memory', ownMemory, GROUP.slice('@self/'.length)));
    expect(await read(join(paths['cpuset']!, 'cpuset.cpus'))).toBe(await read('/sys/fs/cgroup/cpuset/cpuset.cpus'));
    expect(await read(join(paths['cpuset']!, 'cpuset.mems'))).not.toBe('');
    expect(await m.exists(GROUP)).toBe(true);
  });

  it('writes limits the kernel reads back, ordering memsw against the limit both ways', async () => {
    await m.create(GROUP);
    const p = await m.paths(GROUP);
    const mem = (f: string) => read(join(p['memory']!, `memory.${f}`));

    await m.set(GROUP, { pids: { max: 5 }, cpu: { weight: 50, period: 100000, quota: 50000 }, cpuset: { cpus: '0', mems: '0' } });
    expect(await read(join(p['pids']!, 'pids.max'))).toBe('5');
    expect(await read(join(p['cpu']!, 'cpu.shares'))).toBe('512');
    expect(await read(join(p['cpu']!, 'cpu.cfs_quota_us'))).toBe('50000');
    expect(await read(join(p['cpuset']!, 'cpuset.cpus'))).toBe('0');

    await m.set(GROUP, { memory: { max: 64 * MiB, swap: 32 * MiB, low: 16 * MiB, kmem: 64 * MiB, kmemTcp: 8 * MiB } });
    expect([await mem('limit_in_bytes'), await mem('memsw.limit_in_bytes'), await mem('soft_limit_in_bytes')])
      .toEqual([`${64 * MiB}`, `${96 * MiB}`, `${16 * MiB}`]);
    await m.set(GROUP, { memory: { max: 256 * MiB, swap: 0 } }); // raise: memsw goes first
    expect([await mem('limit_in_bytes'), await mem('memsw.limit_in_bytes')]).toEqual([`${256 * MiB}`, `${256 * MiB}`]);
    await m.set(GROUP, { memory: { max: 32 * MiB } }); // lower: limit goes first
    expect([await mem('limit_in_bytes'), await mem('memsw.limit_in_bytes')]).toEqual([`${32 * MiB}`, `${32 * MiB}`]);
    await m.set(GROUP, { pids: { max: null }, memory: { max: null, swap: null }, cpu: { quota: null } });
    expect(await read(join(p['pids']!, 'pids.max'))).toBe('max');
    expect(await read(join(p['cpu']!, 'cpu.cfs_quota_us'))).toBe('-1');
    expect((await m.stats(GROUP)).memory?.max).toBeNull();
  });

  it('reports the kernel refusal with errno and the file', async () => {
    await m.create(GROUP);
    const e = await m.set(GROUP, { cpuset: { cpus: '999' } }).catch((err: unknown) => err);
    expect(isVzError(e) && e.errno).toBe('ERANGE');
    expect((e as Error).message).toBe(`write 999 to ${(await m.paths(GROUP))['cpuset']}/cpuset.cpus: ERANGE`);
  });

  it('attaches processes, lists them and counts them', async () => {
    await m.create(GROUP);
    const a = start(['sleep', '60']);
    const b = start(['sleep', '60']);
    await m.attach(GROUP, a.pid!);
    await m.attach(GROUP, b.pid!);
    expect(await m.pids(GROUP)).toEqual([a.pid!, b.pid!].sort((x, y) => x - y));
    for (const d of Object.values(await m.paths(GROUP))) {
      expect((await read(join(d, 'cgroup.procs'))).split('\n').map(Number).sort()).toEqual([a.pid!, b.pid!].sort());
    }
    const s = await m.stats(GROUP);
    expect(s.pids).toMatchObject({ current: 2, max: null, failcnt: 0 });
    const p = await m.paths(GROUP);
    if (await isFile(join(p['pids']!, 'pids.peak'))) expect(s.pids?.peak).toBeGreaterThanOrEqual(2);
    expect(s.memory?.stat).toHaveProperty('total_rss');
    // The extra counters are there exactly when the kernel has their files.
    for (const [key, file] of [['swap', 'memsw'], ['kmem', 'kmem'], ['tcp', 'kmem.tcp']] as const) {
      const has = await isFile(join(p['memory']!, `memory.${file}.usage_in_bytes`));
      expect(s.memory?.[key] !== undefined, key).toBe(has);
      if (has) expect(s.memory?.[key]?.maxUsage, key).toBeGreaterThanOrEqual(s.memory![key]!.usage);
    }
    expect(s.cpu?.usageNs).toBeGreaterThanOrEqual(0);
  });

  it('samples with kept descriptors: counters as they move, a removed group left out, one made again read afresh', async () => {
    await m.create(GROUP);
    const a = start(['sleep', '60']);
    await m.attach(GROUP, a.pid!);
    expect((await m.sample([GROUP])).get(GROUP)?.pids?.current).toBe(1);
    const b = start(['sleep', '60']);
    await m.attach(GROUP, b.pid!);
    const s = (await m.sample([GROUP])).get(GROUP)!;
    expect(s.pids?.current).toBe(2);
    expect(s.memory?.usage).toBeGreaterThanOrEqual(0);
    await m.kill(GROUP);
    await m.destroy(GROUP);
    // The kept descriptors now read ENODEV: the group is left out of the pass.
    expect((await m.sample([GROUP])).size).toBe(0);
    await m.create(GROUP);
    const c = start(['sleep', '60']);
    await m.attach(GROUP, c.pid!);
    expect((await m.sample([GROUP])).get(GROUP)?.pids?.current).toBe(1);
  });

  it('counts forks refused by pids.max', async () => {
    await m.create(GROUP);
    await m.set(GROUP, { pids: { max: 5 } });
    const sh = start(['sh', '-c', 'read go; for i in 1 2 3 4 5 6 7 8; do sleep 30 & done; wait'], 'pipe');
    await m.attach(GROUP, sh.pid!);
    sh.stdin!.end('go\n');
    await until('a refused fork', async () => ((await m.stats(GROUP)).pids?.failcnt ?? 0) > 0);
    const s = await m.stats(GROUP);
    expect(s.pids?.max).toBe(5);
    expect(s.pids?.current).toBeLessThanOrEqual(5);
  });

  it('counts the OOM kill of a process over memory.limit_in_bytes', async () => {
    await m.create(GROUP);
    await m.set(GROUP, { memory: { max: 32 * MiB, swap: 0 } });
    // Waits for `go` so that it is in the group before it allocates; then fills 256 MiB.
    const hog = start(['sh', '-c', 'read go; exec dd if=/dev/zero of=/dev/null bs=256M count=1 status=none'], 'pipe');
    const exited = new Promise<string | null>((res) => hog.once('exit', (_c, sig) => res(sig)));
    await m.attach(GROUP, hog.pid!);
    hog.stdin!.end('go\n');
    expect(await exited).toBe('SIGKILL');
    const s = await m.stats(GROUP);
    // failcnt is not asserted: this host's kernel (6.18) leaves memory.failcnt at 0 even
    // when the limit is hit; the peak and the oom_kill line show it.
    expect(s.memory?.maxUsage).toBeGreaterThan(16 * MiB);
    expect(s.memory?.maxUsage).toBeLessThanOrEqual(32 * MiB);
    if (s.memory?.oomKills !== undefined) expect(s.memory.oomKills).toBeGreaterThanOrEqual(1);
  });

  it('freezes and thaws', async () => {
    await m.create(GROUP);
    const a = start(['sleep', '60']);
    await m.attach(GROUP, a.pid!);
    await m.freeze(GROUP);
    const state = join((await m.paths(GROUP))['freezer']!, 'freezer.state');
    expect(await read(state)).toBe('FROZEN');
    await m.thaw(GROUP);
    expect(await read(state)).toBe('THAWED');
  });

  it('kill empties the group and its child groups; destroy then removes every directory', async () => {
    await m.create(GROUP);
    await m.create(`${GROUP}/inner`);
    const a = start(['sleep', '60']);
    const b = start(['sh', '-c', 'read go; sleep 60 & sleep 60 & wait'], 'pipe');
    await m.attach(GROUP, a.pid!);
    await m.attach(`${GROUP}/inner`, b.pid!);
    b.stdin!.end('go\n');
    await until('the shell to fork', async () => (await m.pids(GROUP)).length === 4);
    await m.kill(GROUP);
    expect(await m.pids(GROUP)).toEqual([]);
    expect(a.signalCode ?? (await new Promise((r) => a.once('exit', (_c, sig) => r(sig))))).toBe('SIGKILL');
    const paths = Object.values(await m.paths(GROUP));
    await m.destroy(GROUP);
    for (const d of paths) expect(await isDir(d), d).toBe(false);
    expect(await m.exists(GROUP)).toBe(false);
    await m.destroy(GROUP);
  });

  it('destroy of a group with a live process fails with EBUSY naming the directory', async () => {
    const quick = new CgroupV1Manager({ busyRetryMs: 100 });
    await quick.create(GROUP);
    const a = start(['sleep', '60']);
    await quick.attach(GROUP, a.pid!);
    const e = await quick.destroy(GROUP).catch((err: unknown) => err);
    expect(isVzError(e) && e.errno).toBe('EBUSY');
    expect(Object.values(await quick.paths(GROUP))).toContain((e as { path: string }).path);
  });
});
