/**
 * Unprivileged VEs on the real kernel: `vzctl create --local_uid` gives the VE a user
 * namespace whose root is an unprivileged host uid. The shared template is shown through
 * an idmapped mount (never copied or chowned), the VE's own files belong to its range,
 * and what root inside could do as the host's root — make device nodes, mount a fresh
 * procfs to reach host-wide /proc/sys keys — it cannot. The escape suite runs against a
 * VE of each kind (escape.it.test.ts).
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RealCli } from './real-cli.js';

const cli = new RealCli('userns');
const vzctl = cli.vzctl.bind(cli);
const [A, B] = [cli.base, cli.base + 1];
/** A host range no account uses, unlikely to be another test's. */
const LOCAL = 2_000_000 + (cli.base % 1000) * 65536;
const inA = async (cmd: string) => {
  const r = await vzctl(['exec2', String(A), `( ${cmd} ) 2>&1`]);
  return { code: r.code, out: r.stdout };
};

beforeAll(async () => {
  await cli.setup();
  const c = await vzctl(['create', String(A), '--ostemplate', 'busybox', '--local_uid', String(LOCAL)]);
  expect(c.code, c.stderr).toBe(0);
  expect((await vzctl(['start', String(A)])).code).toBe(0);
}, 120_000);
afterAll(async () => {
  for (const id of [A, B]) await cli.cleanupVe(id);
  await cli.teardown();
}, 120_000);

describe('a VE created with --local_uid', () => {
  it("is root inside and an unprivileged host uid outside", async () => {
    expect((await inA('id -u; id -g; cat /proc/self/uid_map')).out).toMatch(new RegExp(`^0\\n0\\n\\s*0\\s+${LOCAL}\\s+65536\\n$`));
    const status = await readFile(`/proc/${await cli.initPid(A)}/status`, 'utf8');
    expect(status).toMatch(new RegExp(`^Uid:\\s+${LOCAL}\\s+${LOCAL}\\s+${LOCAL}\\s+${LOCAL}$`, 'm'));
    expect(status).toMatch(new RegExp(`^Gid:\\s+${LOCAL}\\s`, 'm'));
    expect(await readFile(join(cli.root, 'etc/vzkit/conf', `${A}.conf`), 'utf8')).toMatch(new RegExp(`^LOCAL_UID="${LOCAL}"\\nLOCAL_GID="${LOCAL}"$`, 'm'));
    const list = await cli.tool('vzlist', ['-H', '-o', 'ctid,local_uid', String(A)]);
    expect(list.stdout.trim().split(/\s+/)).toEqual([String(A), String(LOCAL)]);
  });

  it('sees the shared template as its own; the template itself is not changed', async () => {
    expect((await inA('stat -c "%u %g" /bin/busybox /etc/inittab')).out).toBe('0 0\n0 0\n');
    const template = join(cli.root, 'var/lib/vzkit/template/busybox/bin/busybox');
    expect((await stat(template)).uid).toBe(0);
    // What the VE writes belongs to its range on the host, in its private area.
    expect((await inA('echo data > /root/mine && mkdir -p /home/u && chown 1000:1000 /home/u && stat -c "%u" /root/mine /home/u')).out).toBe('0\n1000\n');
    const upper = join(cli.root, 'var/lib/vzkit/private', String(A), 'fs');
    expect((await stat(join(upper, 'root/mine'))).uid).toBe(LOCAL);
    expect((await stat(join(upper, 'home/u'))).uid).toBe(LOCAL + 1000);
    // A template file the VE changes is copied up with the owner it had inside.
    expect((await inA('echo "# mine" >> /etc/inittab && stat -c "%u" /etc/inittab')).out).toBe('0\n');
    expect((await stat(join(upper, 'etc/inittab'))).uid).toBe(LOCAL);
    expect(await readFile(join(cli.root, 'var/lib/vzkit/template/busybox/etc/inittab'), 'utf8')).not.toContain('# mine');
    // Nothing but the VE's root is mounted for it on the host: the idmapped bind was detached.
    const mounts = await readFile('/proc/self/mountinfo', 'utf8');
    expect(mounts).not.toContain(`/private/${A}/template `);
  });

  it('cannot make device nodes, and a fresh procfs of its own reaches no host-wide key', async () => {
    const node = await inA('mknod /tmp/null2 c 1 3');
    expect(node.code).not.toBe(0);
    expect(node.out).toMatch(/Operation not permitted/);
    // Its /dev works: the host's nodes are bound in.
    expect((await inA('echo x > /dev/null && head -c 8 /dev/urandom | wc -c')).out.trim()).toBe('8');
    // A procfs of its own: a VE of the host root may not mount one (Landlock), this one may, to no avail.
    expect((await inA('mkdir -p /mnt/p && mount -t proc proc /mnt/p && echo mounted')).out).toMatch(/mounted/);
    const dropCaches = await inA('echo 3 > /mnt/p/sys/vm/drop_caches');
    expect(dropCaches.code).not.toBe(0);
    expect(dropCaches.out).toMatch(/Permission denied/);
    const hostPanic = await readFile('/proc/sys/kernel/panic', 'utf8');
    expect((await inA('echo 77 > /mnt/p/sys/kernel/panic')).code).not.toBe(0);
    expect(await readFile('/proc/sys/kernel/panic', 'utf8')).toBe(hostPanic);
    expect((await inA('head -c 16 /mnt/p/kcore')).code).not.toBe(0);
    expect((await inA('umount /mnt/p')).code).toBe(0);
  });

  it('vzctl mount shows the VE as the host sees it: the template in the VE\'s range', async () => {
    const pid = await cli.initPid(A);
    expect((await vzctl(['stop', String(A), '--fast'])).code).toBe(0);
    expect((await vzctl(['mount', String(A)])).code).toBe(0);
    expect((await stat(join(cli.root, 'var/lib/vzkit/root', String(A), 'bin/busybox'))).uid).toBe(LOCAL);
    expect((await vzctl(['umount', String(A)])).code).toBe(0);
    expect(await cli.host.processes.alive(pid)).toBe(false);
    expect(await readFile('/proc/self/mountinfo', 'utf8')).not.toContain(`${cli.root}/`);
    expect((await vzctl(['start', String(A)])).code).toBe(0);
    expect((await inA('cat /root/mine')).out).toBe('data\n');
  });

  it('bad input: one line naming the CT and the key, nothing made or changed', async () => {
    const clash = await vzctl(['create', String(B), '--ostemplate', 'busybox', '--local_uid', '1000']);
    expect(clash.code).toBe(21);
    expect(clash.stderr).toMatch(new RegExp(`^vzctl: CT ${B}: LOCAL_UID=1000: the host's user '[^']+' \\(uid \\d+\\) lies in the VE's range 1000-66535$`, 'm'));
    const big = await vzctl(['create', String(B), '--ostemplate', 'busybox', '--local_uid', String(2 ** 32)]);
    expect(big.code).toBe(21);
    expect(big.stderr).toMatch(new RegExp(`^vzctl: CT ${B}\\b.*LOCAL_UID \\(--local_uid\\): 4294967296 is out of range`, 'm'));
    expect(big.stdout).toBe('');
    await expect(stat(join(cli.root, 'etc/vzkit/conf', `${B}.conf`))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(stat(join(cli.root, 'var/lib/vzkit/private', String(B)))).rejects.toMatchObject({ code: 'ENOENT' });
    // The range changes only on a stopped VE, whose files move with it (userns-default.it.test.ts).
    const later = await vzctl(['set', String(A), '--local_uid', '5000000', '--save']);
    expect(later.code).toBe(32);
    expect(later.stderr).toMatch(new RegExp(`^vzctl: CT ${A} is running: --local_uid, --local_gid changes the VE's files`, 'm'));
    const conf = join(cli.root, 'etc/vzkit/conf', `${A}.conf`);
    const edited = (await readFile(conf, 'utf8')).replace(/^LOCAL_UID=.*$/m, 'LOCAL_UID="5000000"').replace(/^LOCAL_GID=.*$/m, 'LOCAL_GID="5000000"');
    expect((await vzctl(['stop', String(A), '--fast'])).code).toBe(0);
    const original = await readFile(conf, 'utf8');
    await writeFile(conf, edited);
    const start = await vzctl(['start', String(A)]);
    expect(start.code).toBe(85);
    expect(start.stderr).toMatch(new RegExp(`^vzctl: CT ${A}: LOCAL_UID is 5000000, but the VE's files \\(.*\\) belong to host uid ${LOCAL}$`, 'm'));
    expect(await readFile('/proc/self/mountinfo', 'utf8')).not.toContain(`${cli.root}/`);
    await writeFile(conf, original);
    expect((await vzctl(['start', String(A)])).code).toBe(0);
  });

  it('stop and destroy leave nothing behind', async () => {
    const pid = await cli.initPid(A);
    expect((await vzctl(['stop', String(A)])).code).toBe(0);
    expect((await vzctl(['destroy', String(A)])).code).toBe(0);
    await cli.expectClean(A, pid);
  });
});
