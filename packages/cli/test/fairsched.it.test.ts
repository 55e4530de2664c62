/**
 * fairsched on the real kernel, through the bundled vzctl: `--cpus` limits what the VE
 * sees (nproc, and /proc/cpuinfo through lxcfs) and uses, `--cpulimit` holds a busy VE at its share, both change live.
 * (The 1:3 share of cpuunits under contention is measured by bench/fairsched.mjs.)
 */
import { readFile } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RealCli } from './real-cli.js';

const cli = new RealCli('cpu');
const vzctl = cli.vzctl.bind(cli);
const id = cli.base;

beforeAll(() => cli.setup(), 120_000);
afterAll(() => cli.teardown(), 120_000);
afterEach(async () => {
  await cli.cleanupVe(id);
  // The last VE that used lxcfs took it down.
  expect(await readFile('/proc/self/mountinfo', 'utf8')).not.toContain(cli.root);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPUs the VE used over `ms` (1.0 = one CPU busy all the time). */
async function cpusUsed(ms: number): Promise<number> {
  const group = `${cli.parent}/${id}`;
  const a = (await cli.host.cgroups.stats(group)).cpu!.usageNs;
  const t0 = process.hrtime.bigint();
  await sleep(ms);
  const b = (await cli.host.cgroups.stats(group)).cpu!.usageNs;
  return (b - a) / Number(process.hrtime.bigint() - t0);
}

async function busy(loops: number): Promise<void> {
  const r = await vzctl(['exec', String(id), Array.from({ length: loops }, () => '(while :; do :; done) >/dev/null 2>&1 </dev/null &').join(' ')]);
  expect(r.code, r.stderr).toBe(0);
}

describe('fairsched', () => {
  it('--cpus 1: nproc and /proc/cpuinfo say 1 and two busy loops get one CPU; --cpus 2 live gives both', async () => {
    expect((await vzctl(['create', String(id), '--ostemplate', 'busybox', '--cpus', '1'])).code).toBe(0);
    expect((await vzctl(['start', String(id)])).code).toBe(0);
    expect((await vzctl(['exec', String(id), 'nproc'])).stdout.trim()).toBe('1');
    // lxcfs: /proc/cpuinfo and /proc/stat list the VE's CPUs only.
    expect((await vzctl(['exec', String(id), 'grep -c ^processor /proc/cpuinfo; grep -c ^cpu[0-9] /proc/stat'])).stdout).toBe('1\n1\n');
    await busy(2);
    await sleep(300);
    expect(await cpusUsed(1500)).toBeLessThan(1.08);
    expect((await vzctl(['set', String(id), '--cpus', '2'])).code).toBe(0);
    expect((await vzctl(['exec', String(id), 'nproc'])).stdout.trim()).toBe('2');
    expect((await vzctl(['exec', String(id), 'grep -c ^processor /proc/cpuinfo'])).stdout).toBe('2\n');
    // What the VE may use now (how much it gets also depends on everything else this host runs).
    const paths = await cli.host.cgroups.paths(`${cli.parent}/${id}`);
    expect((await readFile(`${paths['cpuset']}/cpuset.cpus`, 'utf8')).trim()).toBe('0-1');
    expect((await readFile(`${paths['cpu']}/cpu.cfs_quota_us`, 'utf8')).trim()).toBe('200000');
  });

  it('--cpulimit 25 holds a busy VE at a quarter of one CPU; a live change moves it', async () => {
    expect((await vzctl(['create', String(id), '--ostemplate', 'busybox', '--cpulimit', '25'])).code).toBe(0);
    expect((await vzctl(['start', String(id)])).code).toBe(0);
    await busy(2);
    const busySince = Date.now();
    await sleep(300);
    // The cap is exact; the floor is loose: a busy shared host may give the VE less.
    const used = await cpusUsed(2000);
    expect(used).toBeGreaterThan(0.15);
    expect(used).toBeLessThan(0.28);
    expect((await vzctl(['set', String(id), '--cpulimit', '50'])).code).toBe(0);
    await sleep(200);
    const after = await cpusUsed(2000);
    expect(after).toBeGreaterThan(0.3);
    expect(after).toBeLessThan(0.55);
    // The VE's own load average and its CPU time. lxcfs counts a cgroup's load from its
    // first read on, every 5 s: init made that read at start, so this first read of
    // ours, more than 5 s into the busy loops, already counts them.
    await sleep(Math.max(0, busySince + 6000 - Date.now()));
    const list = await cli.tool('vzlist', ['-H', '-o', 'laverage,cputime', String(id)]);
    expect(list.stdout.trim()).toMatch(/^\d+\.\d\d\/\d+\.\d\d\/\d+\.\d\d\s+\d+(\.\d+)?$/);
    expect(Number(list.stdout.trim().split('/')[0])).toBeGreaterThan(0);
  });
});
