/**
 * A VE whose private area is a btrfs subvolume with a qgroup limit restores into one:
 * the test's private areas live on a btrfs made on a loop device (as quota-btrfs.it),
 * the config's DISKSPACE decides the backend at restore as at create.
 */
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privateOnBtrfs } from './fixtures.js';
import { RealCli, type Run } from './real-cli.js';

const cli = new RealCli('bkbtrfs');
const vzctl = cli.vzctl.bind(cli);
const [A, B] = [cli.base, cli.base + 1];
let privDir = '';
let unmount: (() => void) | undefined;

beforeAll(async () => {
  await cli.setup();
  ({ privDir, unmount } = await privateOnBtrfs(cli));
}, 120_000);

afterAll(async () => {
  for (const id of [A, B]) await cli.cleanupVe(id).catch(() => undefined);
  unmount?.();
  await cli.teardown();
}, 120_000);

function ok(r: Run, what: string): Run {
  expect(r.code, `${what}: ${r.stderr}`).toBe(0);
  return r;
}

describe('a VE on a btrfs subvolume', () => {
  it('is archived running and restored into a subvolume of its own with the same qgroup limit', async () => {
    ok(await vzctl(['create', String(A), '--ostemplate', 'busybox', '--diskspace', '60M:60M']), 'create');
    ok(await vzctl(['start', String(A)]), 'start');
    ok(await vzctl(['exec', String(A), 'head -c 5000000 /dev/urandom > /root/data && md5sum /root/data > /root/data.md5']), 'write');
    const dump = ok(await cli.tool('vzdump', [String(A)], {}, 120_000), 'vzdump');
    const file = dump.stdout.trimEnd().split('\n').at(-1)!;
    ok(await cli.tool('vzrestore', [file, String(B)], {}, 120_000), 'vzrestore');
    const sub = join(privDir, String(B));
    expect(execFileSync('btrfs', ['subvolume', 'show', sub]).toString()).toContain(String(B));
    expect(JSON.parse(await readFile(join(sub, 'quota.json'), 'utf8')).backend).toBe('btrfs');
    ok(await vzctl(['start', String(B)]), 'start the copy');
    expect((await vzctl(['exec', String(B), 'md5sum -c /root/data.md5'])).stdout).toMatch(/OK/);
    const q = JSON.parse(ok(await cli.tool('vzquota', ['stat', String(B), '-j']), 'vzquota').stdout) as { backend: string; diskspace: { hardlimit: number; usage: number } };
    expect(q.backend).toBe('btrfs');
    expect(q.diskspace.hardlimit).toBe(61440);
    expect(q.diskspace.usage).toBeGreaterThan(4000);
  }, 180_000);
});
