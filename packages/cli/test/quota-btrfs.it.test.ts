/**
 * The btrfs backend on the real kernel: the test's private areas live on a btrfs made on
 * a loop device, so a VE's private area becomes a subvolume whose qgroup holds
 * DISKSPACE. Writes past it fail with EDQUOT while the host writes on; a live raise lets
 * them finish; vzquota names the backend; destroy leaves no subvolume.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privateOnBtrfs } from './fixtures.js';
import { exists, RealCli } from './real-cli.js';

const cli = new RealCli('qbtrfs');
const vzctl = cli.vzctl.bind(cli);
const A = cli.base;
let privDir = '';
let unmount: (() => void) | undefined;

beforeAll(async () => {
  await cli.setup();
  ({ privDir, unmount } = await privateOnBtrfs(cli));
}, 120_000);

afterAll(async () => {
  await cli.cleanupVe(A).catch(() => undefined);
  unmount?.();
  await cli.teardown();
}, 120_000);

const sh = (line: string) => vzctl(['exec2', String(A), line]);

describe('btrfs qgroup backend', () => {
  it('holds DISKSPACE with EDQUOT, raises live, names itself, destroys its subvolume', async () => {
    const c = await vzctl(['create', String(A), '--ostemplate', 'busybox', '--diskspace', '30M:40M']);
    expect(c.code, c.stderr).toBe(0);
    // Quotas were off on the new btrfs: vzkit turned them on and said so.
    expect(c.stderr).toMatch(/btrfs quotas were off on the filesystem of .*: turned on/);
    expect(execFileSync('btrfs', ['subvolume', 'show', join(privDir, String(A))]).toString()).toContain(String(A));
    expect((await vzctl(['start', String(A)])).code).toBe(0);

    expect((await sh('head -c 10485760 /dev/urandom > /root/data && md5sum /root/data > /root/data.md5')).code).toBe(0);
    const fill = await sh('dd if=/dev/zero of=/root/big bs=1M count=100');
    expect(fill.code).not.toBe(0);
    expect(fill.stderr).toMatch(/Disk quota exceeded|No space left on device/);
    const stat = JSON.parse((await cli.tool('vzquota', ['stat', String(A), '-j'])).stdout) as { backend: string; diskspace: { usage: number; hardlimit: number }; diskinodes: { status: string } };
    expect(stat.backend).toBe('btrfs');
    expect(stat.diskspace.hardlimit).toBe(40960);
    expect(stat.diskspace.usage).toBeGreaterThan(30 * 1024);
    expect(stat.diskspace.usage).toBeLessThanOrEqual(41 * 1024);
    expect(stat.diskinodes.status).toBe('unsupported');
    // The host, on the same btrfs, is not held.
    execFileSync('dd', ['if=/dev/zero', `of=${join(privDir, 'host-file')}`, 'bs=1M', 'count=60'], { stdio: 'ignore' });

    expect((await vzctl(['set', String(A), '--diskspace', '150M:160M'])).code).toBe(0);
    expect((await sh('dd if=/dev/zero of=/root/big bs=1M count=100')).code).toBe(0);
    expect((await sh('md5sum -c /root/data.md5')).stdout).toContain('OK');

    expect((await vzctl(['stop', String(A)])).code).toBe(0);
    expect((await vzctl(['destroy', String(A)])).code).toBe(0);
    expect(await exists(join(privDir, String(A)))).toBe(false);
    expect(execFileSync('btrfs', ['subvolume', 'list', privDir]).toString()).not.toMatch(new RegExp(`path ${A}$`, 'm'));
  });
});
