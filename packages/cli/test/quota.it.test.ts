/**
 * Disk quota's acceptance on the real kernel, through the bundled vzctl, vzquota and
 * vzlist, with the default backend of this host (an ext4 image on a loop device): a VE
 * with --diskspace 50M:60M cannot write 100 MB while the host and another VE can, `df`
 * inside tells its size, raising the limit live lets the write finish with the data
 * before intact; inode limits hold the same way; bad values change nothing; a vzctl
 * killed at any step leaves no loop device, mount or image behind once the next one ran.
 */
import { execFileSync } from 'node:child_process';
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { exists, RealCli } from './real-cli.js';

const cli = new RealCli('quota');
const vzctl = cli.vzctl.bind(cli);
const [A, B] = [cli.base, cli.base + 1];
const priv = (ctid: number) => join(cli.root, 'var/lib/vzkit/private', String(ctid));

beforeAll(() => cli.setup(), 120_000);
afterAll(() => cli.teardown(), 120_000);
afterEach(async () => {
  for (const id of [A, B]) await cli.cleanupVe(id);
});

async function started(ctid: number, ...flags: string[]): Promise<void> {
  const c = await vzctl(['create', String(ctid), '--ostemplate', 'busybox', ...flags]);
  expect(c.code, c.stderr).toBe(0);
  const s = await vzctl(['start', String(ctid)]);
  expect(s.code, s.stderr).toBe(0);
}

/** Runs a shell line inside the VE; stdout, stderr and the exit status. */
async function sh(ctid: number, line: string) {
  return vzctl(['exec2', String(ctid), line]);
}

/** `df -k /` or `df -i /` inside: size, used, available. */
async function df(ctid: number, inodes = false): Promise<{ size: number; used: number; avail: number }> {
  const out = (await sh(ctid, `df -${inodes ? 'i' : 'k'} /`)).stdout.trim().split('\n').pop()!.split(/\s+/);
  return { size: Number(out[1]), used: Number(out[2]), avail: Number(out[3]) };
}

async function vzquota(...argv: string[]) {
  return cli.tool('vzquota', argv);
}

/** Loop devices backed by files under the test's root (losetup shows the backing path). */
function loopsUnderRoot(): string[] {
  return execFileSync('losetup', ['-a']).toString().split('\n').filter((l) => l.includes(cli.root));
}

/** How the image was made: `exact` where vzctl can grow ext4 online, else `room`. */
async function imageMode(ctid: number): Promise<string> {
  return (JSON.parse(await readFile(join(priv(ctid), 'quota.json'), 'utf8')) as { mode: string }).mode;
}

describe('disk space', () => {
  it('a VE with --diskspace 50M:60M: writes stop near 60M, the host and another VE still write, df tells, a live raise lets the write finish', async () => {
    await started(A, '--diskspace', '50M:60M');
    await started(B);
    const mode = await imageMode(A);
    // df inside: what is used plus what is left is the hard limit (less ext4's own 2 % reserve);
    // the size column is the limit itself where the image is sized to it (`exact`).
    const before = await df(A);
    expect(before.used + before.avail).toBeGreaterThan(0.97 * 61440);
    expect(before.used + before.avail).toBeLessThanOrEqual(61440);
    if (mode === 'exact') expect(before.size).toBe(61440);
    else expect(before.size).toBeGreaterThan(61440);

    // 30 MB of data whose checksum must survive, then 100 MB more that cannot fit.
    expect((await sh(A, 'head -c 31457280 /dev/urandom > /root/data && md5sum /root/data > /root/data.md5')).code).toBe(0);
    const fill = await sh(A, 'dd if=/dev/zero of=/root/big bs=1M count=100');
    expect(fill.code).not.toBe(0);
    expect(fill.stderr).toMatch(/No space left on device|Disk quota exceeded/);
    const usedKb = Number((await sh(A, 'du -sk /root | cut -f1')).stdout.trim());
    expect(usedKb).toBeGreaterThan(55 * 1024);
    expect(usedKb).toBeLessThanOrEqual(60 * 1024);

    // The host and the other VE are not held.
    const hostFile = join(cli.root, 'host-write');
    await writeFile(hostFile, Buffer.alloc(20 * 2 ** 20));
    await rm(hostFile);
    expect((await sh(B, 'dd if=/dev/zero of=/root/other bs=1M count=80 2>&1')).code).toBe(0);

    // vzquota and vzlist see it.
    const stat = JSON.parse((await vzquota('stat', String(A), '-j')).stdout) as { backend: string; diskspace: { usage: number; softlimit: number; hardlimit: number } };
    expect(stat.backend).toBe('image');
    expect(stat.diskspace).toMatchObject({ softlimit: 51200, hardlimit: 61440 });
    expect(stat.diskspace.usage).toBeGreaterThan(55 * 1024);
    const table = (await vzquota('stat', String(A))).stdout.split('\n');
    expect(table[0]).toBe('   resource          usage       softlimit      hardlimit    grace');
    expect(table[1]).toMatch(/^ {2}1k-blocks +\d+\* +51200 +61440 +\S+$/);
    const list = await cli.tool('vzlist', ['-H', '-o', 'ctid,diskspace.s,diskspace.h', String(A)]);
    expect(list.stdout.trim().split(/\s+/)).toEqual([String(A), '51200', '61440']);

    // Raised live: the same write now finishes, nothing written before is lost.
    const set = await vzctl(['set', String(A), '--diskspace', '150M:160M']);
    expect(set.code, set.stderr).toBe(0);
    expect((await sh(A, 'dd if=/dev/zero of=/root/big bs=1M count=100')).code).toBe(0);
    expect((await sh(A, 'md5sum -c /root/data.md5')).stdout).toContain('OK');
    expect((await sh(A, 'ls -l /root/big')).stdout).toContain('104857600');
    const after = await df(A);
    expect(after.used + after.avail).toBeGreaterThan(0.97 * 163840);
    if (mode === 'exact') expect(after.size).toBe(163840);
  });

  it('inode limits hold the same way: files stop near DISKINODES, df -i tells, the host and another VE still make files', async () => {
    await started(A, '--diskspace', '200M', '--diskinodes', '2000:2000');
    await started(B);
    const dfi = await df(A, true);
    // Inodes come per block group in steps of 16: a few % below the limit, never above it.
    expect(dfi.size).toBeGreaterThanOrEqual(1800);
    expect(dfi.size).toBeLessThanOrEqual(2011);
    const made = await sh(A, 'mkdir /root/many && i=0; while touch /root/many/f$i 2>/root/err; do i=$((i+1)); done; echo $i; cat /root/err');
    const count = Number(made.stdout.split('\n')[0]);
    expect(count).toBeGreaterThan(1800);
    expect(count).toBeLessThanOrEqual(2000);
    expect(made.stdout).toMatch(/No space left on device|Disk quota exceeded/);
    expect((await sh(B, 'mkdir /root/many && i=0; while [ $i -lt 2500 ]; do touch /root/many/f$i || exit 1; i=$((i+1)); done')).code).toBe(0);
    const stat = JSON.parse((await vzquota('stat', String(A), '-j')).stdout) as { diskinodes: { usage: number; hardlimit: number } };
    expect(stat.diskinodes.hardlimit).toBe(2000);
    expect(stat.diskinodes.usage).toBeGreaterThan(1800);
    // An ext4 image's inodes are counted out when it is made: a live change says so and changes nothing.
    const raise = await vzctl(['set', String(A), '--diskinodes', '4000:4000', '--save']);
    expect(raise.code).toBe(62);
    expect(raise.stderr).toMatch(/^vzctl: CT \d+: DISKINODES 4000: the disk image holds \d+ inodes, fixed when it was made/);
    expect(await readFile(join(cli.root, 'etc/vzkit/conf', `${A}.conf`), 'utf8')).toContain('DISKINODES="2000:2000"');
  });
});

describe('bad values', () => {
  it('second-level quota on a VE of the host root: refused by this kernel, one line, nothing changed', async () => {
    await started(A, '--diskspace', '50M:60M', '--local_uid', '0');
    const conf = await readFile(join(cli.root, 'etc/vzkit/conf', `${A}.conf`), 'utf8');
    const r = await vzctl(['set', String(A), '--quotaugidlimit', '100', '--save']);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/^vzctl: CT \d+: QUOTAUGIDLIMIT: user\/group quotas inside the VE are not supported by this host/m);
    expect(await readFile(join(cli.root, 'etc/vzkit/conf', `${A}.conf`), 'utf8')).toBe(conf);
  });

  it.each([
    [['--diskspace', 'lots'], 21, /CT \d+: invalid value for DISKSPACE \(--diskspace\)/],
    [['--diskspace', '60M:50M'], 21, /soft limit 61440 is above hard limit 51200/],
    [['--diskinodes', '10:5'], 21, /--diskinodes/],
    [['--quotatime', '-1'], 21, /--quotatime/],
    [['--diskspace', '100K'], 21, /DISKSPACE hard limit 100 is below the smallest disk/],
    // The default VE is unprivileged: quotactl on the host's filesystem is not its root's to call.
    [['--quotaugidlimit', '100'], 5, /QUOTAUGIDLIMIT: user\/group quotas inside the VE are not available to an unprivileged VE/],
  ])('set %j: one line naming the CT and key, exit %i, nothing changed', async (flags, exit, message) => {
    await started(A, '--diskspace', '50M:60M');
    const conf = await readFile(join(cli.root, 'etc/vzkit/conf', `${A}.conf`), 'utf8');
    const r = await vzctl(['set', String(A), ...flags, '--save']);
    expect(r.code).toBe(exit);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('vzctl:'))).toHaveLength(1);
    expect(await readFile(join(cli.root, 'etc/vzkit/conf', `${A}.conf`), 'utf8')).toBe(conf);
    expect((await vzquota('stat', String(A), '-j')).stdout).toContain('"hardlimit": 61440');
  });

  it('create with a bad value makes nothing', async () => {
    const r = await vzctl(['create', String(A), '--ostemplate', 'busybox', '--diskspace', '60M:50M']);
    expect(r.code).toBe(21);
    expect(await exists(priv(A))).toBe(false);
    expect(await exists(join(cli.root, 'etc/vzkit/conf', `${A}.conf`))).toBe(false);
  });
});

describe('SIGKILL of vzctl at each step, then the next vzctl', () => {
  /** Nothing of the VE is left: no loop device on its image, no mount, no private area. */
  async function expectClean(ctid: number): Promise<void> {
    // The kernel detaches an autoclear loop device once its last user is gone, a moment after the unmount.
    for (let i = 0; i < 50 && loopsUnderRoot().length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(loopsUnderRoot()).toEqual([]);
    expect(await readFile('/proc/self/mountinfo', 'utf8')).not.toContain(cli.root);
    expect(await exists(priv(ctid))).toBe(false);
    expect(await exists(join(cli.root, 'etc/vzkit/conf', `${ctid}.conf`))).toBe(false);
  }
  let next = cli.base + 10;

  it.each(['intent', 'plugin:@vzkit/template', 'plugin:@vzkit/quota', 'plugin:@vzkit/ns-fs', 'config'])('create killed after %s', async (step) => {
    const id = next++;
    const r = await vzctl(['create', String(id), '--ostemplate', 'busybox', '--diskspace', '40M'], { VZKIT_FAULT: `create:${step}` });
    expect(r.signal).toBe('SIGKILL');
    expect([0, 14]).toContain((await vzctl(['destroy', String(id)])).code);
    await expectClean(id);
  });

  it.each([
    ['start', 'mount:@vzkit/quota'], ['start', 'mount:@vzkit/ns-fs'], ['start', 'prepare:@vzkit/quota'], ['start', 'exec'],
    ['stop', 'intent'], ['stop', 'halt'], ['mount', 'mount:@vzkit/quota'],
  ])('%s killed after %s: stop + destroy leave nothing', async (op, step) => {
    const id = next++;
    expect((await vzctl(['create', String(id), '--ostemplate', 'busybox', '--diskspace', '40M'])).code).toBe(0);
    if (op === 'stop') expect((await vzctl(['start', String(id)])).code).toBe(0);
    const r = await vzctl([op, String(id)], { VZKIT_FAULT: `${op}:${step}` });
    expect(r.signal).toBe('SIGKILL');
    expect([0, 31, 40]).toContain((await vzctl(['stop', String(id), '--fast'])).code);
    expect([0]).toContain((await vzctl(['destroy', String(id)])).code);
    await expectClean(id);
  });

  it('destroy killed after intent: the next destroy finishes', async () => {
    const id = next++;
    expect((await vzctl(['create', String(id), '--ostemplate', 'busybox', '--diskspace', '40M'])).code).toBe(0);
    expect((await vzctl(['start', String(id)])).code).toBe(0);
    expect((await vzctl(['stop', String(id)])).code).toBe(0);
    expect((await vzctl(['destroy', String(id)], { VZKIT_FAULT: 'destroy:intent' })).signal).toBe('SIGKILL');
    expect([0, 14]).toContain((await vzctl(['destroy', String(id)])).code);
    await expectClean(id);
    expect((await readdir(join(cli.root, 'var/lib/vzkit/private'))).filter((n) => n === String(id))).toEqual([]);
  });
});
