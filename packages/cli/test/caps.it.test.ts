/**
 * The VE's root on the real kernel has no capability that reaches past the VE: it
 * cannot set the host's clock or load modules, in init and in commands run with exec;
 * `--capability` changes the set at the next start.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RealCli } from './real-cli.js';

const cli = new RealCli('caps');
const id = cli.base;
const vzctl = cli.vzctl.bind(cli);

beforeAll(() => cli.setup(), 120_000);
afterAll(() => cli.teardown(), 120_000);
afterEach(() => cli.cleanupVe(id));

const bounding = (status: string) => BigInt(`0x${/^CapBnd:\s*([0-9a-f]+)$/m.exec(status)![1]}`);
const has = (mask: bigint, cap: number) => ((mask >> BigInt(cap)) & 1n) === 1n;

describe('capabilities', () => {
  it('init and exec lack sys_time, sys_module and sys_rawio; setting the clock fails', async () => {
    expect((await vzctl(['create', String(id), '--ostemplate', 'busybox'])).code).toBe(0);
    expect((await vzctl(['start', String(id)])).code).toBe(0);
    const out = (await vzctl(['exec', String(id), 'cat /proc/1/status; cat /proc/self/status'])).stdout;
    for (const status of out.split(/(?=^Name:)/m).filter((s) => s.includes('CapBnd'))) {
      const mask = bounding(status);
      for (const cap of [16, 17, 25]) expect(has(mask, cap), `cap ${cap}`).toBe(false);
      expect(has(mask, 21)).toBe(true);
    }
    // Setting the clock to what it is: harmless even if it were allowed.
    const r = await vzctl(['exec', String(id), 'date -s "$(date "+%Y-%m-%d %H:%M:%S")" >/dev/null']);
    expect(r.stderr).toContain('Operation not permitted');
    expect((await vzctl(['set', String(id), '--capability', 'sys_time:on', '--save'])).stdout).toContain('Saved');
    expect((await vzctl(['restart', String(id)])).code).toBe(0);
    const after = bounding((await vzctl(['exec', String(id), 'cat /proc/1/status'])).stdout);
    expect(has(after, 25)).toBe(true);
  });
});
