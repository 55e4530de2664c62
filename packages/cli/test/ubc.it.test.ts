/**
 * The beancounters' acceptance on the real kernel, through the bundled vzctl, vzubc and
 * vzlist: a fork bomb and a memory hog are contained in their VE, limits change live,
 * every parameter round-trips through config, CLI, vzubc and JSON, bad values change
 * nothing.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { UBC_PARAMS } from '@vzkit/ubc';
import { RealCli } from './real-cli.js';

const cli = new RealCli('ubc');
const vzctl = cli.vzctl.bind(cli);
const ids = [cli.base, cli.base + 1];

beforeAll(() => cli.setup(), 120_000);
afterAll(() => cli.teardown(), 120_000);
afterEach(async () => {
  for (const id of ids) await cli.cleanupVe(id);
});

async function started(ctid: number, ...flags: string[]): Promise<void> {
  expect((await vzctl(['create', String(ctid), '--ostemplate', 'busybox', ...flags])).stderr).toBe('');
  const r = await vzctl(['start', String(ctid)]);
  expect(r.code, r.stderr).toBe(0);
}

interface Counter { resource: string; held: number | null; maxheld: number | null; barrier: number | string; limit: number | string; failcnt: number | null; status: string }

async function beancounters(ctid: number): Promise<Map<string, Counter>> {
  const r = await cli.tool('vzubc', ['-j', String(ctid)]);
  expect(r.code, r.stderr).toBe(0);
  const [ve] = JSON.parse(r.stdout) as Array<{ beancounters: Counter[] }>;
  return new Map(ve!.beancounters.map((b) => [b.resource, b]));
}

const hostProcesses = async () => (await readdir('/proc')).filter((n) => /^\d+$/.test(n)).length;

describe('containment', () => {
  it('a fork bomb with numproc 100:100 stays in its VE; failcnt grows; the VE still stops cleanly', async () => {
    const [a] = ids as [number];
    await started(a, '--numproc', '100:100');
    const before = await hostProcesses();
    // Started in the background so it keeps forking while we look.
    expect((await vzctl(['exec', String(a), 'bomb() { bomb | bomb & }; (bomb) >/dev/null 2>&1 </dev/null &'])).code).toBe(0);
    let peak = 0;
    for (let i = 0; i < 20; i++) {
      const cur = (await beancounters(a)).get('numproc')!;
      peak = Math.max(peak, cur.held ?? 0);
      if ((cur.failcnt ?? 0) > 0 && peak >= 90) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const numproc = (await beancounters(a)).get('numproc')!;
    expect(numproc.failcnt).toBeGreaterThan(0);
    expect(numproc.maxheld).toBeLessThanOrEqual(100);
    // The host's own process count does not grow by the bomb's size.
    expect(await hostProcesses()).toBeLessThan(before + 110);
    const stop = await vzctl(['stop', String(a)]);
    expect(stop.code, stop.stderr).toBe(0);
    expect(await cli.host.cgroups.exists(`${cli.parent}/${a}`)).toBe(false);
  });

  it('a memory hog with --ram 64M is killed inside its VE only; raising --ram live lets it through', async () => {
    const [a, b] = ids as [number, number];
    await started(a, '--ram', '64M', '--swap', '0');
    await started(b);
    const hog = 'dd if=/dev/zero of=/dev/null bs=100M count=1 2>/dev/null; echo rc=$?';
    expect((await vzctl(['exec', String(a), hog])).stdout).toContain('rc=137');
    const phys = (await beancounters(a)).get('physpages')!;
    expect(phys.failcnt).toBeGreaterThan(0);
    expect(phys.limit).toBe(16384);
    // lxcfs: the VE's /proc/meminfo shows its RAM limit.
    expect((await vzctl(['exec', String(a), 'grep MemTotal /proc/meminfo'])).stdout).toMatch(/^MemTotal:\s+65536 kB$/m);
    // The other VE and the host are untouched.
    expect((await vzctl(['exec', String(b), hog])).stdout).toContain('rc=0');
    expect((await vzctl(['status', String(a)])).stdout).toMatch(/running/);
    const set = await vzctl(['set', String(a), '--ram', '256M']);
    expect(set.code, set.stderr).toBe(0);
    expect((await vzctl(['exec', String(a), hog])).stdout).toContain('rc=0');
    expect((await beancounters(a)).get('physpages')!.limit).toBe(65536);
  });
});

describe('live limits', () => {
  it('changes per-process limits, ptys and shared memory of a running VE at once', async () => {
    const [a] = ids as [number];
    await started(a, '--numfile', '1000:2000', '--numpty', '8', '--shmpages', '32M');
    const look = 'echo $(ulimit -n) $(ulimit -Hn) $(cat /proc/sys/kernel/shmall); grep -E " /dev/(pts|shm) " /proc/mounts';
    let out = (await vzctl(['exec', String(a), look])).stdout;
    expect(out).toMatch(/^1000 2000 8192\n/);
    expect(out).toMatch(/devpts \/dev\/pts devpts .*max=8/);
    expect(out).toMatch(/tmpfs \/dev\/shm tmpfs .*size=32768k/);
    expect((await vzctl(['set', String(a), '--numfile', '300:400', '--numpty', '20', '--shmpages', '64M', '--save'])).code).toBe(0);
    out = (await vzctl(['exec', String(a), look])).stdout;
    expect(out).toMatch(/^300 400 16384\n/);
    expect(out).toMatch(/max=20/);
    expect(out).toMatch(/size=65536k/);
    // The remount keeps the mounts' flags (and, in the default unprivileged VE, works at all).
    expect(out).toMatch(/devpts \/dev\/pts devpts rw,nosuid,noexec/);
    expect(out).toMatch(/tmpfs \/dev\/shm tmpfs rw,nosuid,nodev/);
    // init itself got the new limits too.
    const limits = await readFile(`/proc/${await cli.initPid(a)}/limits`, 'utf8');
    expect(limits).toMatch(/Max open files\s+300\s+400/);
    expect(await readFile(join(cli.root, 'etc/vzkit/conf', `${a}.conf`), 'utf8')).toContain('NUMFILE="300:400"');
  });
});

describe('round trip', () => {
  it('every parameter goes through CLI, config, vzubc (table, raw, JSON) and vzlist', async () => {
    const [a] = ids as [number];
    const flags = UBC_PARAMS.flatMap((p, i) => [`--${p.name}`, p.name === 'physpages' ? '0:65536' : p.name === 'swappages' ? '0:1000' : `${1000 + i}:${2000 + i}`]);
    await started(a, ...flags);
    const conf = await readFile(join(cli.root, 'etc/vzkit/conf', `${a}.conf`), 'utf8');
    const counters = await beancounters(a);
    UBC_PARAMS.forEach((p, i) => {
      const [b, l] = p.name === 'physpages' ? [0, 65536] : p.name === 'swappages' ? [0, 1000] : [1000 + i, 2000 + i];
      expect(conf).toContain(`${p.name.toUpperCase()}="${b}:${l}"`);
      expect(counters.get(p.name), p.name).toMatchObject({ barrier: b, limit: l });
      expect(['enforced', 'accounted', 'unsupported']).toContain(counters.get(p.name)!.status);
    });
    expect(counters.get('numproc')!.held).toBeGreaterThan(0);
    expect(counters.get('physpages')!.held).toBeGreaterThan(0);
    expect(counters.get('numfile')!.held).toBeGreaterThan(0);
    const raw = (await cli.tool('vzubc', ['--raw', String(a)])).stdout.split('\n');
    expect(raw[0]).toBe('Version: 2.5');
    expect(raw[2]).toMatch(new RegExp(`^\\s+${a}:  kmemsize\\s+\\d+\\s+\\d+\\s+1000\\s+2000\\s+\\d+$`));
    const table = (await cli.tool('vzubc', [String(a)])).stdout;
    expect(table).toContain(`CT ${a}`);
    const list = await cli.tool('vzlist', ['-H', '-o', 'ctid,numproc.l,physpages.l,numfile.b,vswap', String(a)]);
    expect(list.stdout.trim().split(/\s+/)).toEqual([String(a), String(2000 + 4), '65536', String(1000 + 18), 'yes']);
  });

  it('refuses bad values with one line naming the CT and the key, and changes nothing', async () => {
    const [a] = ids as [number];
    // No RAM limit (the default sample has one), so that a swap limit alone is refused.
    await started(a, '--config', 'unlimited', '--numproc', '100');
    const conf = await readFile(join(cli.root, 'etc/vzkit/conf', `${a}.conf`), 'utf8');
    for (const [args, msg] of [
      [['--numproc', '10:5'], `vzctl: CT ${a}: invalid value for NUMPROC (--numproc): barrier 10 is above limit 5\n`],
      [['--kmemsize', '5X'], `vzctl: CT ${a}: invalid value for KMEMSIZE (--kmemsize): '5X' is not a number with an optional K, M, G, T, P or B suffix\n`],
      [['--swap', '1G'], `vzctl: CT ${a}: SWAPPAGES (--swap): a swap limit needs a RAM limit; set PHYSPAGES (--ram) too\n`],
      [['--numfile', '2000000'], `vzctl: CT ${a}: NUMFILE (--numfile): limit 2000000 is above the kernel's maximum of 1048576 open files per process\n`],
    ] as const) {
      const r = await vzctl(['set', String(a), ...args, '--save']);
      expect(r.code).toBe(21);
      expect(r.stderr).toBe(msg);
    }
    expect(await readFile(join(cli.root, 'etc/vzkit/conf', `${a}.conf`), 'utf8')).toBe(conf);
    expect((await beancounters(a)).get('numproc')!.limit).toBe(100);
  });
});
