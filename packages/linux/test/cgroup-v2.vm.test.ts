/**
 * CgroupV2Manager on a real unified hierarchy, as root, below our own cgroup
 * (`@self/vzkit-v2test-<pid>`). This host runs cgroup v1, so the suite runs in the QEMU
 * guest of scripts/vm (Debian's 6.1 kernel, cgroup2 only, the command in the root
 * cgroup): `scripts/vm/run-in-vm.sh -- pnpm exec vitest run --project vm`. Anywhere
 * else (v1, no pids/memory controllers, not root, or our cgroup is not the root and so
 * may not hand controllers down) it skips itself.
 * Every test kills and removes its groups in afterEach and checks nothing is left.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isVzError, type CgroupManager } from '@vzkit/core';
import { CgroupV2Manager, detectCgroupManager } from '../src/cgroup/index.js';
import { createLinuxHost } from '../src/linux-host.js';
import { unifiedHost } from '../src/testing/index.js';

const ROOT = '/sys/fs/cgroup';
const PARENT = `@self/vzkit-v2test-${process.pid}`;
const GROUP = `${PARENT}/101`;
const MiB = 1024 * 1024;

const read = async (path: string) => (await readFile(path, 'utf8')).trim();
const isDir = (path: string) => stat(path).then((s) => s.isDirectory(), () => false);
const keyed = async (path: string) => Object.fromEntries((await read(path)).split('\n').map((l) => l.split(' ')).map(([k, v]) => [k, Number(v)]));

let m: CgroupManager;
let dir: string;
let parentDir: string;
const started: ChildProcess[] = [];
const cleanups: (() => Promise<void>)[] = [];

/** A process of ours, killed by pid in afterEach if a test leaves it. */
function start(argv: string[], stdin: 'ignore' | 'pipe' = 'ignore'): ChildProcess {
  const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: [stdin, 'ignore', 'ignore'] });
  started.push(child);
  return child;
}

const exitOf = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve({ code: child.exitCode, signal: child.signalCode })
    : new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.once('exit', (code, signal) => res({ code, signal })));

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/**
 * Waits for a line on stdin, then fills a `mib` MiB buffer from /dev/zero and exits 0
 * (dd: small and quick to start in the emulated guest, unlike python or node).
 */
function hog(mib: number): ChildProcess {
  return start(['sh', '-c', `read go; exec dd if=/dev/zero of=/dev/null bs=${mib}M count=1 status=none`], 'pipe');
}

describe.skipIf(!unifiedHost())('CgroupV2Manager on a cgroup v2 kernel (root, in the VM)', () => {
  beforeEach(async () => {
    m = await detectCgroupManager();
    expect(m).toBeInstanceOf(CgroupV2Manager);
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
    await m.thaw(PARENT).catch(() => undefined);
    await m.kill(PARENT);
    await m.destroy(PARENT);
    expect(await isDir(parentDir), parentDir).toBe(false);
  });

  it('creates the group below our own (root) cgroup and hands the controllers down to it', async () => {
    expect(m.version).toBe(2);
    expect(await m.controllers()).toEqual(expect.arrayContaining(['pids', 'memory', 'cpu']));
    expect(dir).toBe(join(ROOT, `vzkit-v2test-${process.pid}`, '101'));
    await m.create(GROUP);
    expect(await m.exists(GROUP)).toBe(true);
    const wanted = (await m.controllers()).sort();
    expect((await read(join(parentDir, 'cgroup.subtree_control'))).split(' ').sort()).toEqual(expect.arrayContaining(wanted));
    expect((await read(join(dir, 'cgroup.controllers'))).split(' ').sort()).toEqual(wanted);
    expect(await read(join(dir, 'cgroup.subtree_control'))).toBe('');
    const paths = await m.paths(GROUP);
    expect(new Set(Object.values(paths))).toEqual(new Set([dir]));
    expect(Object.keys(paths)).toEqual(expect.arrayContaining(['unified', 'pids', 'memory', 'cpu']));
    await m.create(GROUP); // idempotent
  });

  it('writes limits the kernel reads back', async () => {
    await m.create(GROUP);
    const f = (name: string) => read(join(dir, name));
    await m.set(GROUP, {
      pids: { max: 5 },
      memory: { max: 64 * MiB, swap: 0, low: 16 * MiB, kmem: 8 * MiB, kmemTcp: MiB },
      cpu: { weight: 50, quota: 50000, period: 100000 },
      cpuset: { cpus: '0', mems: '0' },
    });
    expect([await f('pids.max'), await f('memory.max'), await f('memory.swap.max'), await f('memory.low')])
      .toEqual(['5', `${64 * MiB}`, '0', `${16 * MiB}`]);
    expect([await f('cpu.weight'), await f('cpu.max'), await f('cpuset.cpus'), await f('cpuset.mems')]).toEqual(['50', '50000 100000', '0', '0']);
    await m.set(GROUP, { pids: { max: null }, memory: { max: null, swap: null, low: null }, cpu: { quota: null } });
    expect([await f('pids.max'), await f('memory.max'), await f('memory.swap.max'), await f('memory.low'), await f('cpu.max')])
      .toEqual(['max', 'max', 'max', '0', 'max 100000']);
    const s = await m.stats(GROUP);
    expect(s.memory?.max).toBeNull();
    expect(s.pids).toMatchObject({ current: 0, max: null, failcnt: 0 });
  });

  it('reports the kernel refusal with errno and the file', async () => {
    await m.create(GROUP);
    const e = await m.set(GROUP, { cpuset: { cpus: '999' } }).catch((err: unknown) => err);
    expect(isVzError(e) && e.errno).toMatch(/^E[A-Z]+$/);
    expect((e as Error).message).toBe(`write 999 to ${dir}/cpuset.cpus: ${(e as { errno: string }).errno}`);
  });

  it('attaches processes, lists and counts them', async () => {
    await m.create(GROUP);
    const a = start(['sleep', '60']);
    const b = start(['sleep', '60']);
    await m.attach(GROUP, a.pid!);
    await m.attach(GROUP, b.pid!);
    expect(await m.pids(GROUP)).toEqual([a.pid!, b.pid!].sort((x, y) => x - y));
    expect((await read(`/proc/${a.pid}/cgroup`))).toBe(`0::/vzkit-v2test-${process.pid}/101`);
    const s = await m.stats(GROUP);
    expect(s.pids).toMatchObject({ current: 2, max: null, failcnt: 0 });
    expect(s.memory?.stat).toHaveProperty('anon');
    expect(s.cpu?.usageNs).toBeGreaterThanOrEqual(0);
  });

  it('refuses forks over pids.max and counts them', async () => {
    await m.create(GROUP);
    await m.set(GROUP, { pids: { max: 5 } });
    const sh = start(['sh', '-c', 'read go; for i in 1 2 3 4 5 6 7 8; do sleep 30 & done; wait'], 'pipe');
    await m.attach(GROUP, sh.pid!);
    sh.stdin!.end('go\n');
    await until('a refused fork', async () => ((await m.stats(GROUP)).pids?.failcnt ?? 0) > 0);
    const s = await m.stats(GROUP);
    expect(s.pids?.max).toBe(5);
    expect(s.pids?.current).toBeLessThanOrEqual(5);
    expect(s.pids?.failcnt).toBe((await keyed(join(dir, 'pids.events')))['max']);
    if (s.pids?.peak !== undefined) expect(s.pids.peak).toBe(5);
  });

  it('OOM-kills a hog over memory.max and counts it; a limit raised live lets it run', async () => {
    await m.create(GROUP);
    await m.set(GROUP, { memory: { max: 32 * MiB, swap: 0 } });
    const first = hog(128);
    await m.attach(GROUP, first.pid!);
    first.stdin!.end('go\n');
    expect((await exitOf(first)).signal).toBe('SIGKILL');
    const s = await m.stats(GROUP);
    expect(s.memory?.max).toBe(32 * MiB);
    expect(s.memory?.failcnt).toBeGreaterThan(0);
    expect(s.memory?.oomKills).toBeGreaterThanOrEqual(1);
    expect(s.memory?.oomKills).toBe((await keyed(join(dir, 'memory.events')))['oom_kill']);
    expect(s.memory?.maxUsage).toBeGreaterThan(16 * MiB);
    expect(s.memory?.maxUsage).toBeLessThanOrEqual(32 * MiB);
    expect(s.memory?.swap).toMatchObject({ usage: 0, max: 0 });
    expect(s.memory?.kmem?.usage).toBeGreaterThanOrEqual(0);
    expect(s.memory?.tcp?.usage).toBeGreaterThanOrEqual(0);
    expect(s.cpu?.usageNs).toBeGreaterThan(0);

    // The next one joins under the old limit, which is raised while it waits.
    const second = hog(64);
    await m.attach(GROUP, second.pid!);
    await m.set(GROUP, { memory: { max: 256 * MiB } });
    expect(await read(join(dir, 'memory.max'))).toBe(`${256 * MiB}`);
    second.stdin!.end('go\n');
    expect(await exitOf(second)).toEqual({ code: 0, signal: null });
    const after = await m.stats(GROUP);
    expect(after.memory?.oomKills).toBe(s.memory?.oomKills);
    expect(after.memory?.maxUsage).toBeGreaterThan(64 * MiB);
  });

  it('freezes and thaws', async () => {
    await m.create(GROUP);
    const a = start(['sleep', '60']);
    await m.attach(GROUP, a.pid!);
    await m.freeze(GROUP);
    expect((await keyed(join(dir, 'cgroup.events')))['frozen']).toBe(1);
    await m.thaw(GROUP);
    await until('thawed', async () => (await keyed(join(dir, 'cgroup.events')))['frozen'] === 0);
    expect(await read(join(dir, 'cgroup.freeze'))).toBe('0');
  });

  it('kill empties the group and its child groups (cgroup.kill); destroy then removes them', async () => {
    await m.create(`${GROUP}/inner`);
    // A process may not sit in a group whose children have controllers: inner's parent
    // is 101 here, so 101 stays empty and both processes go below it.
    await m.create(`${GROUP}/other`);
    const a = start(['sleep', '60']);
    const b = start(['sh', '-c', 'read go; sleep 60 & sleep 60 & wait'], 'pipe');
    await m.attach(`${GROUP}/other`, a.pid!);
    await m.attach(`${GROUP}/inner`, b.pid!);
    b.stdin!.end('go\n');
    await until('the shell to fork', async () => (await m.pids(GROUP)).length === 4);
    await m.freeze(GROUP); // a frozen group is killed too
    await m.kill(GROUP);
    expect(await m.pids(GROUP)).toEqual([]);
    expect((await exitOf(a)).signal).toBe('SIGKILL');
    await m.destroy(GROUP);
    expect(await isDir(dir)).toBe(false);
    expect(await m.exists(GROUP)).toBe(false);
    await m.destroy(GROUP);
  });

  it('destroy of a group with a live process fails with EBUSY naming the directory', async () => {
    const quick = new CgroupV2Manager({ busyRetryMs: 100 });
    await quick.create(GROUP);
    const a = start(['sleep', '60']);
    await quick.attach(GROUP, a.pid!);
    const e = await quick.destroy(GROUP).catch((err: unknown) => err);
    expect(isVzError(e) && e.errno).toBe('EBUSY');
    expect((e as { path: string }).path).toBe(dir);
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
