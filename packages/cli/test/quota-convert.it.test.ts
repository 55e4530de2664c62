/**
 * Disk quota on every VE, on the real kernel through the bundled tools (issue 20, item 3):
 * a VE given --diskspace after create is held to it after its next start — its files
 * moved onto its new disk with nothing lost (owners in the VE's range, modes, an ACL, a
 * file capability, a hard link, a sparse file, a device node, the overlay's whiteout and
 * opaque directory) — for both kinds of VE, and moved off it again when the quota goes;
 * vzctl quotainit|quotaon|quotaoff and vzquota init|on|off|drop|setlimit; the soft limit
 * held as the hard one once QUOTATIME has passed; a conversion killed at each step is
 * finished or undone by the next vzctl.
 */
import { execFileSync } from 'node:child_process';
import { copyFile, lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ACL_GROUP_OBJ, ACL_MASK, ACL_OTHER, ACL_USER, ACL_USER_OBJ, formatAcl, formatFileCaps, XATTR_ACL_ACCESS, XATTR_CAPS } from '@vzkit/core';
import { exists, RealCli } from './real-cli.js';

const cli = new RealCli('quota-convert');
const vzctl = cli.vzctl.bind(cli);
const N = 0xffffffff;
let next = cli.base;
const ids: number[] = [];
const newId = () => {
  const id = next++;
  ids.push(id);
  return id;
};

const priv = (id: number, path = '') => join(cli.root, 'var/lib/vzkit/private', String(id), path);
const upper = (id: number, path = '') => priv(id, join('fs', path));
const conf = (id: number) => readFile(join(cli.root, 'etc/vzkit/conf', `${id}.conf`), 'utf8');
const localUid = async (id: number) => Number(/^LOCAL_UID="(\d+)"$/m.exec(await conf(id))?.[1] ?? 0);
const vzquota = (...argv: string[]) => cli.tool('vzquota', argv);

async function run(argv: string[], env: Record<string, string> = {}): Promise<string> {
  const r = await vzctl(argv, env);
  expect(r.code, `vzctl ${argv.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout + r.stderr;
}
async function inside(id: number, line: string): Promise<{ code: number; out: string }> {
  const r = await vzctl(['exec2', String(id), `( ${line} ) 2>&1`]);
  return { code: r.code, out: r.stdout };
}
async function ok(id: number, line: string): Promise<string> {
  const r = await inside(id, line);
  expect(r.code, `${line}: ${r.out}`).toBe(0);
  return r.out;
}

/** Loop devices backed by files under the test's root. */
function loopsUnderRoot(): string[] {
  return execFileSync('losetup', ['-a']).toString().split('\n').filter((l) => l.includes(cli.root));
}
async function expectNoDiskMounted(id: number): Promise<void> {
  for (let i = 0; i < 50 && loopsUnderRoot().length > 0; i++) await new Promise((r) => setTimeout(r, 100));
  expect(loopsUnderRoot()).toEqual([]);
  expect(await readFile('/proc/self/mountinfo', 'utf8')).not.toContain(priv(id, 'disk'));
}

beforeAll(async () => {
  await cli.setup();
  // A program to carry a file capability.
  await copyFile('/bin/true', join(cli.root, 'prog'));
}, 120_000);
afterEach(async () => {
  for (const id of ids.splice(0)) await cli.cleanupVe(id);
}, 120_000);
afterAll(() => cli.teardown(), 120_000);

/**
 * The VE's own files, made while it has no quota: from inside (owners, a hard link, a
 * sparse file, a whiteout, an opaque directory) and from the host (a device node, an ACL,
 * a file capability: what its root could not make itself, as the host's root sets them).
 */
async function populate(id: number): Promise<void> {
  await run(['start', String(id)]);
  await ok(id, [
    'mkdir /data', 'echo hello > /data/a', 'chown 1005:1007 /data/a', 'chmod 640 /data/a', 'ln /data/a /data/a.link',
    'mkdir /data/u && chown 1005:1007 /data/u',
    // 50 MB long, one block used: it must stay sparse to fit the disk.
    'printf x | dd of=/data/sparse bs=1 seek=50000000 2>/dev/null',
    // A whiteout (a file of the template removed) and an opaque directory (one removed and made again).
    'rm /etc/shells', 'rm -r /etc/init.d', 'mkdir /etc/init.d', 'printf "#!/bin/sh\\n" > /etc/init.d/rcS', 'chmod 755 /etc/init.d/rcS',
  ].join(' && '));
  await run(['stop', String(id), '--fast']);
  const base = await localUid(id);
  execFileSync('mknod', [upper(id, 'data/null'), 'c', '1', '3']);
  await cli.host.fs.chown(upper(id, 'data/null'), base, base);
  await cli.host.fs.setXattr(upper(id, 'data/a'), XATTR_ACL_ACCESS, formatAcl([
    { tag: ACL_USER_OBJ, perm: 6, id: N }, { tag: ACL_USER, perm: 4, id: base + 1006 }, { tag: ACL_GROUP_OBJ, perm: 4, id: N },
    { tag: ACL_MASK, perm: 4, id: N }, { tag: ACL_OTHER, perm: 0, id: N },
  ]));
  await copyFile(join(cli.root, 'prog'), upper(id, 'data/prog'));
  await cli.host.fs.chown(upper(id, 'data/prog'), base, base);
  await cli.host.fs.setXattr(upper(id, 'data/prog'), XATTR_CAPS, formatFileCaps({ effective: true, permitted: [1 << 13, 0], inheritable: [0, 0], rootid: base }));
}

const PATHS = ['data', 'data/a', 'data/a.link', 'data/u', 'data/sparse', 'data/null', 'data/prog', 'etc/shells', 'etc/init.d', 'etc/init.d/rcS'];

/**
 * What the host sees of the VE's files (the private area mounted): type, owner, mode,
 * links, device, size, blocks used (sparse), inode sharing of the hard link, and every
 * extended attribute.
 */
async function hostView(id: number): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const p of PATHS) {
    const st = await lstat(upper(id, p));
    const xattrs: Record<string, string> = {};
    for (const name of (await cli.host.fs.listXattrs(upper(id, p))).sort()) xattrs[name] = Buffer.from((await cli.host.fs.getXattr(upper(id, p), name))!).toString('hex');
    out[p] = { mode: st.mode.toString(8), uid: st.uid, gid: st.gid, nlink: st.nlink, rdev: st.rdev, size: st.isDirectory() ? 0 : st.size, sparse: st.blocks * 512 < st.size, xattrs };
  }
  const [a, link] = await Promise.all([lstat(upper(id, 'data/a')), lstat(upper(id, 'data/a.link'))]);
  out['hardlink'] = a.ino === link.ino;
  return out;
}

/** What the VE's root sees. */
const guestView = (id: number) => ok(id, 'stat -c "%n %u %g %a %h %t:%T" /data/a /data/a.link /data/u /data/null; ls /etc/init.d; ls /etc/shells 2>&1; du -k /data/sparse');

/** The VE's files from both sides, the VE mounted for the host's look. */
async function views(id: number): Promise<{ host: Record<string, unknown>; guest: string }> {
  await run(['mount', String(id)]);
  const host = await hostView(id);
  await run(['umount', String(id)]);
  await run(['start', String(id)]);
  const guest = await guestView(id);
  await run(['stop', String(id), '--fast']);
  return { host, guest };
}

describe('a VE given --diskspace after create', () => {
  it.each([['unprivileged (the default)', []], ['of the host root', ['--local_uid', '0']]])('%s is held to it after its next start, nothing of its files lost; --diskspace unlimited moves them off again', async (_kind, flags) => {
    const id = newId();
    await run(['create', String(id), '--ostemplate', 'busybox', ...(flags as string[])]);
    await populate(id);
    const before = await views(id);
    const base = await localUid(id);
    expect(before.host['data/a']).toMatchObject({ uid: base + 1005, gid: base + 1007, nlink: 2 });
    expect(before.host['etc/shells']).toMatchObject({ rdev: 0, mode: '20000' });
    expect(before.host['data/sparse']).toMatchObject({ sparse: true });
    expect(before.guest).toMatch(/^\/data\/a 1005 1007 640 2 0:0$/m);
    expect(before.guest).toMatch(/^\/data\/null \d+ \d+ \d+ 1 1:3$/m);
    expect(before.guest).toMatch(/No such file or directory/);

    // Saved on the stopped VE; the next start moves its files onto a 30 MB disk.
    const set = await vzctl(['set', String(id), '--diskspace', '20M:30M', '--save']);
    expect(set.code, set.stderr).toBe(0);
    expect(await exists(priv(id, 'quota.json'))).toBe(false);
    await run(['start', String(id)]);
    expect(JSON.parse(await readFile(priv(id, 'quota.json'), 'utf8'))).toMatchObject({ backend: 'image' });
    const df = (await ok(id, 'df -k /')).trim().split('\n').pop()!.split(/\s+/).map(Number);
    expect(df[2]! + df[3]!).toBeLessThanOrEqual(30720);
    expect(df[2]! + df[3]!).toBeGreaterThan(0.95 * 30720);
    const fill = await inside(id, 'dd if=/dev/zero of=/root/big bs=1M count=40');
    expect(fill.code).not.toBe(0);
    expect(fill.out).toMatch(/No space left on device/);
    await ok(id, 'rm /root/big');
    await run(['stop', String(id), '--fast']);
    await expectNoDiskMounted(id);
    expect(await views(id)).toEqual(before);

    // Taken away: the next start moves the files off the disk, which goes.
    const off = await vzctl(['set', String(id), '--diskspace', 'unlimited', '--save']);
    expect(off.code, off.stderr).toBe(0);
    expect(await conf(id)).toMatch(/^DISKSPACE="unlimited"$/m);
    await run(['start', String(id)]);
    for (const left of ['quota.json', 'disk.img', 'disk', 'fs.off', 'fs.partial', 'fs.moved']) expect(await exists(priv(id, left)), left).toBe(false);
    expect((await lstat(upper(id))).isDirectory()).toBe(true);
    expect((await inside(id, 'dd if=/dev/zero of=/root/big bs=1M count=40 2>&1')).code).toBe(0);
    await ok(id, 'rm /root/big');
    await run(['stop', String(id), '--fast']);
    expect(await views(id)).toEqual(before);
    await expectNoDiskMounted(id);
  });

  it('whose files do not fit: the start fails with exit 61 and one line, the VE is as it was', async () => {
    const id = newId();
    await run(['create', String(id), '--ostemplate', 'busybox']);
    await run(['start', String(id)]);
    await ok(id, 'dd if=/dev/urandom of=/root/data bs=1M count=8 2>/dev/null');
    await run(['stop', String(id), '--fast']);
    await run(['set', String(id), '--diskspace', '4M', '--save']);
    const r = await vzctl(['start', String(id)]);
    expect(r.code).toBe(61);
    expect(r.stderr).toMatch(new RegExp(`^vzctl: CT ${id}: DISKSPACE 4096:4096: the VE's files take \\d+ KiB, more than the hard limit; nothing was changed$`, 'm'));
    expect(await exists(priv(id, 'disk.img'))).toBe(false);
    expect((await lstat(upper(id))).isDirectory()).toBe(true);
    await run(['set', String(id), '--diskspace', '40M', '--save']);
    await run(['start', String(id)]);
    expect(await ok(id, 'ls -l /root/data')).toContain('8388608');
    await run(['stop', String(id), '--fast']);
  });
});

describe('vzctl quotainit|quotaon|quotaoff, vzquota init|on|off|drop|setlimit', () => {
  it('as their man pages say, mapped onto the image, with their exit codes', async () => {
    const id = newId();
    const ct = String(id);
    await run(['create', ct, '--ostemplate', 'busybox']);
    await run(['start', ct]);
    await ok(id, 'echo kept > /root/kept');
    await run(['stop', ct, '--fast']);

    // No quota yet: on is 11, quotainit 63 without DISKSPACE.
    expect((await vzquota('on', ct)).code).toBe(11);
    const noSpace = await vzctl(['quotainit', ct]);
    expect(noSpace.code).toBe(63);
    // vzquota init takes the limits, saves them and moves the files onto the disk now.
    const init = await vzquota('init', ct, '-b', '30720', '-B', '40960', '-i', '20000', '-I', '30000', '-e', '2h', '-n', '2h', '-p', priv(id));
    expect(init.code, init.stderr).toBe(0);
    expect(await conf(id)).toMatch(/^DISKSPACE="30720:40960"$/m);
    expect(await conf(id)).toMatch(/^QUOTATIME="7200"$/m);
    expect(await readFile(priv(id, 'quota.json'), 'utf8')).toContain('"image"');
    await expectNoDiskMounted(id);

    // On while stopped: the disk mounted without the VE, stat works, a second on is 5.
    expect((await vzquota('stat', ct)).code).toBe(6);
    expect((await vzctl(['quotaon', ct])).code).toBe(0);
    expect(await readFile(upper(id, 'root/kept'), 'utf8')).toBe('kept\n');
    const stat = await vzquota('stat', ct);
    expect(stat.code).toBe(0);
    expect(stat.stdout.split('\n')[1]).toMatch(/^ {2}1k-blocks +\d+ +30720 +40960 +$/);
    expect((await vzquota('on', ct)).code).toBe(5);
    // A start takes it over; off is refused while the VE uses its disk.
    await run(['start', ct]);
    const busy = await vzquota('off', ct);
    expect(busy.code).toBe(3);
    expect(busy.stderr).toMatch(/cannot be off while the VE uses it/);
    expect((await vzctl(['quotaoff', ct])).code).toBe(66);
    expect((await vzctl(['quotainit', ct])).code).toBe(61);
    // setlimit: saved, and live.
    expect((await vzquota('setlimit', ct, '-B', '51200')).code).toBe(0);
    expect(await conf(id)).toMatch(/^DISKSPACE="30720:51200"$/m);
    const df = (await ok(id, 'df -k /')).trim().split('\n').pop()!.split(/\s+/).map(Number);
    expect(df[2]! + df[3]!).toBeGreaterThan(0.95 * 51200);
    await run(['stop', ct, '--fast']);
    await expectNoDiskMounted(id);
    expect((await vzquota('off', ct)).code).toBe(6);
    expect((await vzctl(['quotaoff', ct])).code).toBe(0);
    expect((await vzquota('on', ct)).code).toBe(0);
    expect((await vzquota('off', ct)).code).toBe(0);
    await expectNoDiskMounted(id);

    // drop: refused while running, then the files come off the disk; DISKSPACE brings it back at the next start.
    await run(['start', ct]);
    expect((await vzquota('drop', ct)).code).toBe(5);
    await run(['stop', ct, '--fast']);
    const drop = await vzquota('drop', ct);
    expect(drop.code, drop.stderr).toBe(0);
    expect(drop.stderr).toMatch(/DISKSPACE is still set: the next start gives the VE a disk again/);
    expect(await exists(priv(id, 'disk.img'))).toBe(false);
    expect(await readFile(upper(id, 'root/kept'), 'utf8')).toBe('kept\n');
    expect((await vzquota('drop', ct)).code).toBe(11);
    // vzkit keeps no quota file, and one grace period.
    expect((await vzquota('init', ct, '-c', '/var/vzquota/quota.1')).code).toBe(2);
    expect((await vzquota('setlimit', ct, '-e', '10', '-n', '20')).code).toBe(2);
    expect((await vzctl(['quotainit', ct])).code).toBe(0);
    expect(await readFile(priv(id, 'quota.json'), 'utf8')).toContain('"image"');
  });
});

describe('soft limits past QUOTATIME', () => {
  it('the soft limit holds as the hard one once the grace period is over, and lets go once usage is back under it', async () => {
    const id = newId();
    const ct = String(id);
    await run(['create', ct, '--ostemplate', 'busybox', '--diskspace', '20M:40M', '--quotatime', '3']);
    await run(['start', ct]);
    await ok(id, 'dd if=/dev/zero of=/root/a bs=1M count=24 2>/dev/null && sync');
    // The first look starts the clock: over soft, the hard limit still holds.
    const first = await vzquota('stat', ct);
    expect(first.stdout.split('\n')[1]).toMatch(/^ {2}1k-blocks +\d+\* +20480 +40960 +00:00$/);
    await ok(id, 'dd if=/dev/zero of=/root/b bs=1M count=2 2>/dev/null && sync');
    await new Promise((r) => setTimeout(r, 4000));
    const held = await vzquota('stat', ct);
    expect(held.stdout.split('\n')[1]).toMatch(/^ {2}1k-blocks +\d+\* +20480 +40960 +none$/);
    expect(held.stdout).toMatch(/the grace period is over: the soft limit holds as the hard one/);
    const refused = await inside(id, 'dd if=/dev/zero of=/root/c bs=1M count=1 && sync');
    expect(refused.code).not.toBe(0);
    expect(refused.out).toMatch(/No space left on device/);
    // A restart does not reset the clock.
    await run(['stop', ct, '--fast']);
    await run(['start', ct]);
    expect((await inside(id, 'dd if=/dev/zero of=/root/c bs=1M count=1 && sync')).code).not.toBe(0);
    // Back under the soft limit: the next look gives the hard limit back.
    await ok(id, 'rm -f /root/a /root/c && sync');
    const back = await vzquota('stat', ct, '-j');
    expect(JSON.parse(back.stdout)).toMatchObject({ diskspace: { held: false, grace: null } });
    await ok(id, 'dd if=/dev/zero of=/root/d bs=1M count=30 2>/dev/null && sync');
    await run(['stop', ct, '--fast']);
  });
});

describe('a conversion killed at each step, then the next vzctl', () => {
  async function prepared(): Promise<number> {
    const id = newId();
    await run(['create', String(id), '--ostemplate', 'busybox']);
    await run(['start', String(id)]);
    await ok(id, 'mkdir /data && echo hello > /data/a && chown 1005:1007 /data/a && ln /data/a /data/b');
    await run(['stop', String(id), '--fast']);
    return id;
  }
  const same = async (id: number) => {
    await run(['start', String(id)]);
    expect(await ok(id, 'cat /data/a; stat -c "%u %g %h" /data/a')).toBe('hello\n1005 1007 2\n');
    await run(['stop', String(id), '--fast']);
  };

  it.each(['onto:image', 'onto:copied', 'onto:record'])('onto a disk, killed after %s: the next start finishes or starts over, nothing lost', async (step) => {
    const id = await prepared();
    await run(['set', String(id), '--diskspace', '40M', '--save']);
    expect((await vzctl(['start', String(id)], { VZKIT_FAULT: `quota:${step}` })).signal).toBe('SIGKILL');
    // Any vzctl cleans up: nothing of the killed start stays mounted.
    expect([0, 31]).toContain((await vzctl(['stop', String(id), '--fast'])).code);
    await expectNoDiskMounted(id);
    expect(await exists(priv(id, 'fs.partial'))).toBe(false);
    await same(id);
    expect(JSON.parse(await readFile(priv(id, 'quota.json'), 'utf8'))).toMatchObject({ backend: 'image' });
  });

  it.each(['off:copied', 'off:record'])('off the disk, killed after %s: the next vzctl undoes or finishes it, nothing lost', async (step) => {
    const id = await prepared();
    await run(['set', String(id), '--diskspace', '40M', '--save']);
    await same(id);
    await run(['set', String(id), '--diskspace', 'unlimited', '--save']);
    expect((await vzctl(['start', String(id)], { VZKIT_FAULT: `quota:${step}` })).signal).toBe('SIGKILL');
    expect([0, 31]).toContain((await vzctl(['stop', String(id), '--fast'])).code);
    await expectNoDiskMounted(id);
    // Before the commit the copy went; after it, it became the VE's files.
    expect(await exists(priv(id, 'fs.off'))).toBe(false);
    expect(await exists(priv(id, 'quota.json'))).toBe(step === 'off:copied');
    await same(id);
    expect(await exists(priv(id, 'quota.json'))).toBe(false);
    expect(await exists(priv(id, 'disk.img'))).toBe(false);
  });

  it('vzquota init killed after the copy: the next quota command undoes it', async () => {
    const id = await prepared();
    const r = await cli.tool('vzquota', ['init', String(id), '-b', '40960', '-B', '40960'], { VZKIT_FAULT: 'quota:onto:copied' });
    expect(r.signal).toBe('SIGKILL');
    expect((await vzquota('on', String(id))).code).toBe(11);
    await expectNoDiskMounted(id);
    expect(await exists(priv(id, 'disk.img'))).toBe(false);
    await same(id);
  });
});
