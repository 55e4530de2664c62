/**
 * lxcfs on the real kernel: VEs started at the same time share one lxcfs, which goes
 * with the last of them; each VE's /proc/meminfo shows its own RAM limit.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RealCli } from './real-cli.js';

const cli = new RealCli('lxcfs');
const ids = [cli.base, cli.base + 1, cli.base + 2];

beforeAll(() => cli.setup(), 120_000);
afterAll(() => cli.teardown(), 120_000);
afterEach(async () => {
  for (const id of ids) await cli.cleanupVe(id);
});

const lxcfsMounts = async () => (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').filter((l) => l.includes(cli.root) && l.includes('fuse.lxcfs'));

describe('lxcfs', () => {
  it('one instance for VEs started at once; each sees its own limits; gone with the last VE', async () => {
    for (const [i, id] of ids.entries()) {
      expect((await cli.vzctl(['create', String(id), '--ostemplate', 'busybox', '--ram', `${64 * (i + 1)}M`])).code).toBe(0);
    }
    const starts = await Promise.all(ids.map((id) => cli.vzctl(['start', String(id)])));
    for (const r of starts) expect(r.code, r.stderr).toBe(0);
    expect(await lxcfsMounts()).toHaveLength(1);
    for (const [i, id] of ids.entries()) {
      expect((await cli.vzctl(['exec', String(id), 'grep MemTotal /proc/meminfo'])).stdout).toMatch(new RegExp(`^MemTotal:\\s+${64 * 1024 * (i + 1)} kB$`, 'm'));
    }
    const stops = await Promise.all(ids.map((id) => cli.vzctl(['stop', String(id), '--fast'])));
    for (const r of stops) expect(r.code, r.stderr).toBe(0);
    expect(await lxcfsMounts()).toHaveLength(0);
  });
});
