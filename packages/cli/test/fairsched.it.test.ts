/**
 * fairsched on the real kernel, through the bundled vzctl: `--cpus` limits what the VE
 * sees and uses, `--cpulimit` holds a busy VE at its share, both change live.
 * (The 1:3 share of cpuunits under contention is measured by bench/fairsched.mjs.)
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RealCli } from './real-cli.js';

const cli = new RealCli('cpu');
const vzctl = cli.vzctl.bind(cli);
const id = cli.base;

beforeAll(() => cli.setup(), 120_000);
afterAll(() => cli.teardown(), 120_000);
afterEach(() => cli.cleanupVe(id));

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
  it('--cpus 1: nproc says 1 and two busy loops get one CPU; --cpus 2 live gives both', async () => {
    expect((await vzctl(['create', String(id), '--ostemplate', 'busybox', '--cpus', '1'])).code).toBe(0);
    expect((await vzctl(['start', String(id)])).code).toBe(0);
    expect((await vzctl(['exec', String(id), 'nproc'])).stdout.trim()).toBe('1');
    await busy(2);
    await sleep(300);
    expect(await cpusUsed(1500)).toBeLessThan(1.08);
    expect((await vzctl(['set', String(id), '--cpus', '2'])).code).toBe(0);
    expect((await vzctl(['exec', String(id), 'nproc'])).stdout.trim()).toBe('2');
    await sleep(300);
    expect(await cpusUsed(1500)).toBeGreaterThan(1.2);
  });

  it('--cpulimit 25 holds a busy VE at a quarter of one CPU; a live change moves it', async () => {
    expect((await vzctl(['create', String(id), '--ostemplate', 'busybox', '--cpulimit', '25'])).code).toBe(0);
    expect((await vzctl(['start', String(id)])).code).toBe(0);
    await busy(2);
    await sleep(300);
    const used = await cpusUsed(2000);
    expect(used).toBeGreaterThan(0.22);
    expect(used).toBeLessThan(0.28);
    expect((await vzctl(['set', String(id), '--cpulimit', '50'])).code).toBe(0);
    await sleep(200);
    const after = await cpusUsed(2000);
    expect(after).toBeGreaterThan(0.45);
    expect(after).toBeLessThan(0.55);
  });
});
