/**
 * Unprivileged is the default, on the real kernel through the bundled tools: a VE made
 * without --local_uid gets a range of host ids of its own (LOCAL_UID=auto), a VE of the
 * host root exists only when asked for (--local_uid 0) and says so at every start, and
 * a stopped VE converts between the kinds (`vzctl set --local_uid auto|N|0 --save`) with
 * its files — several owners, a setuid program, an ACL, a file capability — the same
 * from inside afterwards.
 */
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACL_GROUP, ACL_GROUP_OBJ, ACL_MASK, ACL_OTHER, ACL_USER, ACL_USER_OBJ, formatAcl, formatFileCaps, parseAcl, parseFileCaps, XATTR_ACL_ACCESS, XATTR_CAPS } from '@vzkit/core';
import { RealCli } from './real-cli.js';

const cli = new RealCli('userns-default');
const vzctl = cli.vzctl.bind(cli);
const [A, B, P, Q] = [cli.base, cli.base + 1, cli.base + 2, cli.base + 3];
const PRIVILEGED_WARNING = /^WARNING: CT \d+ \[ns-user\]: the VE's root is the host's root \(LOCAL_UID=0\)/m;
const N = 0xffffffff;

const conf = (id: number) => readFile(join(cli.root, 'etc/vzkit/conf', `${id}.conf`), 'utf8');
async function localIds(id: number): Promise<[number, number | undefined]> {
  const text = await conf(id);
  const gid = /^LOCAL_GID="(\d+)"$/m.exec(text)?.[1];
  return [Number(/^LOCAL_UID="(\d+)"$/m.exec(text)?.[1]), gid === undefined ? undefined : Number(gid)];
}
const upper = (id: number, path = '') => join(cli.root, 'var/lib/vzkit/private', String(id), 'fs', path);
async function run(argv: string[]): Promise<string> {
  const r = await vzctl(argv);
  expect(r.code, `vzctl ${argv.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stderr;
}
async function inside(id: number, line: string): Promise<string> {
  const r = await vzctl(['exec2', String(id), `( ${line} ) 2>&1`]);
  // One line, all of it: the summary shows a failure's first line only.
  expect(r.code, `exit ${r.code} ${r.signal ?? ''}: ${JSON.stringify(r.stdout)} ${JSON.stringify(r.stderr)} from ${line}`).toBe(0);
  return r.stdout;
}
async function initUid(id: number): Promise<number> {
  const status = await readFile(`/proc/${await cli.initPid(id)}/status`, 'utf8');
  return Number(/^Uid:\s+(\d+)/m.exec(status)![1]);
}

beforeAll(async () => {
  await cli.setup();
  // A setuid program that says whom it runs as.
  const src = join(cli.root, 'euid.c');
  execFileSync('sh', ['-c', `printf '#include <stdio.h>\\n#include <unistd.h>\\nint main(void){printf("euid %%d\\\\n", (int)geteuid());return 0;}\\n' > ${src}`]);
  execFileSync('cc', ['-static', '-O2', '-o', join(cli.root, 'euid'), src]);
}, 120_000);
afterAll(async () => {
  for (const id of [A, B, P, Q]) await cli.cleanupVe(id);
  await cli.teardown();
}, 120_000);

describe('a VE created without --local_uid', () => {
  it('is unprivileged: a range of its own in its config, and init runs as its first id on the host', async () => {
    const made = await Promise.all([A, B].map((id) => vzctl(['create', String(id), '--ostemplate', 'busybox'])));
    for (const r of made) expect(r.code, r.stderr).toBe(0);
    const [a, ag] = await localIds(A);
    const [b, bg] = await localIds(B);
    expect(a).toBeGreaterThan(65535);
    expect([ag, bg]).toEqual([a, b]);
    // Two creates at the same moment: disjoint ranges.
    expect(Math.abs(a - b)).toBeGreaterThanOrEqual(65536);
    const started = await run(['start', String(A)]);
    expect(started).not.toMatch(PRIVILEGED_WARNING);
    expect(await initUid(A)).toBe(a);
    expect(await inside(A, 'id -u; cat /proc/self/uid_map')).toMatch(new RegExp(`^0\\n\\s*0\\s+${a}\\s+65536\\n$`));
    const list = await cli.tool('vzlist', ['-a', '-H', '-o', 'ctid,kind,local_uid', String(A), String(B)]);
    expect(list.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/))).toEqual([[String(A), 'unprivileged', String(a)], [String(B), 'unprivileged', String(b)]]);
    expect((await cli.tool('vzlist', ['-L'])).stdout).toMatch(/^kind\s+KIND$/m);
  });

  it('a VE of the host root only with --local_uid 0: listed as privileged, and every start warns', async () => {
    await run(['create', String(P), '--ostemplate', 'busybox', '--local_uid', '0']);
    expect(await conf(P)).toMatch(/^LOCAL_UID="0"$/m);
    expect((await cli.tool('vzlist', ['-a', '-H', '-o', 'kind', String(P)])).stdout.trim()).toBe('privileged');
    for (let i = 0; i < 2; i++) {
      const warned = await run(['start', String(P)]);
      expect(warned.match(new RegExp(PRIVILEGED_WARNING, 'gm'))).toHaveLength(1);
      expect(warned).toMatch(new RegExp(`vzctl set ${P} --local_uid auto --save`));
      expect(await initUid(P)).toBe(0);
      await run(['stop', String(P)]);
    }
  });
});

describe('conversion of a stopped VE: vzctl set --local_uid auto|N|0 --save', () => {
  /** What root and user u (uid 1000) see inside: owners, modes, the ACL'd file, the setuid program. */
  const view = (id: number) => inside(id, [
    'cd / && stat -c "%n %u %g %a" /home/u /home/u/data /srv /srv/shared /var/www /usr/local/bin/euid /usr/local/bin/ping2',
    'su u -s /bin/sh -c "cat /srv/shared; /usr/local/bin/euid"',
  ].join('; '));

  /** `disk`: the VE's files live on its own disk, reachable from the host only while it is mounted. */
  async function populate(id: number, disk = false): Promise<void> {
    await run(['start', String(id)]);
    await inside(id, [
      "echo 'u:x:1000:1000::/home/u:/bin/sh' >> /etc/passwd", 'mkdir -p /home/u/data /srv /var/www', 'chown -R 1000:1000 /home/u', 'chown 1000:33 /home/u/data',
      'chown 33:33 /var/www', 'echo secret > /srv/shared', 'chmod 640 /srv/shared', 'mkdir -p /usr/local/bin',
    ].join(' && '));
    await run(['stop', String(id)]);
    if (disk) await run(['mount', String(id)]);
    // Files the VE's root could not make itself here: a setuid program, an ACL, a file capability (as the host root sets them).
    const [base] = await localIds(id);
    await copyFile(join(cli.root, 'euid'), upper(id, 'usr/local/bin/euid'));
    await copyFile(join(cli.root, 'euid'), upper(id, 'usr/local/bin/ping2'));
    for (const f of ['usr/local/bin/euid', 'usr/local/bin/ping2']) await cli.host.fs.chown(upper(id, f), base, base);
    await cli.host.fs.chmod(upper(id, 'usr/local/bin/euid'), 0o4755);
    await cli.host.fs.setXattr(upper(id, 'srv/shared'), XATTR_ACL_ACCESS, formatAcl([
      { tag: ACL_USER_OBJ, perm: 6, id: N }, { tag: ACL_USER, perm: 4, id: base + 1000 }, { tag: ACL_GROUP_OBJ, perm: 4, id: N },
      { tag: ACL_GROUP, perm: 4, id: base + 33 }, { tag: ACL_MASK, perm: 4, id: N }, { tag: ACL_OTHER, perm: 0, id: N },
    ]));
    await cli.host.fs.setXattr(upper(id, 'usr/local/bin/ping2'), XATTR_CAPS, formatFileCaps({ effective: true, permitted: [1 << 13, 0], inheritable: [0, 0], rootid: base }));
    if (disk) await run(['umount', String(id)]);
  }

  /** The ids the host sees on the VE's files: owners, the ACL's named entries, the capability's root. */
  async function hostIds(id: number) {
    const acl = parseAcl((await cli.host.fs.getXattr(upper(id, 'srv/shared'), XATTR_ACL_ACCESS))!)!;
    const caps = parseFileCaps((await cli.host.fs.getXattr(upper(id, 'usr/local/bin/ping2'), XATTR_CAPS))!)!;
    const euid = await stat(upper(id, 'usr/local/bin/euid'));
    return {
      data: [(await stat(upper(id, 'home/u/data'))).uid, (await stat(upper(id, 'home/u/data'))).gid],
      euid: [euid.uid, euid.mode & 0o7777],
      acl: acl.filter((e) => e.tag === ACL_USER || e.tag === ACL_GROUP).map((e) => e.id),
      capsRoot: caps.rootid,
    };
  }

  it('privileged -> unprivileged -> privileged: nothing lost, the same from inside, each start as its kind', async () => {
    await populate(P);
    await run(['start', String(P)]);
    const before = await view(P);
    expect(before).toMatch(/^\/home\/u\/data 1000 33 755$/m);
    expect(before).toMatch(/^\/usr\/local\/bin\/euid 0 0 4755$/m);
    // u reads the file through the ACL alone, and the setuid program runs as root.
    expect(before).toMatch(/^secret\neuid 0$/m);
    await run(['stop', String(P)]);
    expect(await hostIds(P)).toEqual({ data: [1000, 33], euid: [0, 0o4755], acl: [1000, 33], capsRoot: 0 });

    const said = await run(['set', String(P), '--local_uid', 'auto', '--save']);
    expect(said).toBe('');
    const [n, ng] = await localIds(P);
    expect(ng).toBe(n);
    const [a] = await localIds(A);
    expect(Math.abs(n - a)).toBeGreaterThanOrEqual(65536);
    expect(await hostIds(P)).toEqual({ data: [n + 1000, n + 33], euid: [n, 0o4755], acl: [n + 1000, n + 33], capsRoot: n });
    const started = await run(['start', String(P)]);
    expect(started).not.toMatch(PRIVILEGED_WARNING);
    expect(await initUid(P)).toBe(n);
    expect(await view(P)).toBe(before);
    expect((await cli.tool('vzlist', ['-H', '-o', 'kind', String(P)])).stdout.trim()).toBe('unprivileged');
    await run(['stop', String(P)]);

    await run(['set', String(P), '--local_uid', '0', '--save']);
    expect(await conf(P)).toMatch(/^LOCAL_UID="0"$/m);
    expect(await hostIds(P)).toEqual({ data: [1000, 33], euid: [0, 0o4755], acl: [1000, 33], capsRoot: 0 });
    expect(await run(['start', String(P)])).toMatch(PRIVILEGED_WARNING);
    expect(await initUid(P)).toBe(0);
    expect(await view(P)).toBe(before);
    await run(['stop', String(P)]);
  });

  it('a VE on its own disk (ext4 image): converted with the disk mounted for the work, nothing left mounted', async () => {
    await run(['create', String(Q), '--ostemplate', 'busybox', '--diskspace', '64M']);
    await populate(Q, true);
    await run(['start', String(Q)]);
    const before = await view(Q);
    await run(['stop', String(Q)]);
    await run(['set', String(Q), '--local_uid', '0', '--save']);
    const mounts = await readFile('/proc/self/mountinfo', 'utf8');
    expect(mounts).not.toContain(`/private/${Q}/disk `);
    expect(mounts).not.toContain(`/root/${Q} `);
    await run(['start', String(Q)]);
    expect(await view(Q)).toBe(before);
    expect(await hostIds(Q)).toEqual({ data: [1000, 33], euid: [0, 0o4755], acl: [1000, 33], capsRoot: 0 });
    await run(['stop', String(Q)]);
    await run(['set', String(Q), '--local_uid', 'auto', '--save']);
    await run(['start', String(Q)]);
    expect(await view(Q)).toBe(before);
    await run(['stop', String(Q)]);
  });

  it('refused while running or mounted, and for a range overlapping the current one: one line, nothing changed', async () => {
    const [a] = await localIds(A);
    const text = await conf(A);
    const running = await vzctl(['set', String(A), '--local_uid', '0', '--save']);
    expect(running.code).toBe(32);
    expect(running.stderr).toMatch(new RegExp(`^vzctl: CT ${A} is running: --local_uid, --local_gid changes the VE's files and needs it stopped and unmounted$`, 'm'));
    await run(['stop', String(A)]);
    await run(['mount', String(A)]);
    const mounted = await vzctl(['set', String(A), '--local_uid', '0', '--save']);
    expect(mounted.code).toBe(41);
    await run(['umount', String(A)]);
    const overlap = await vzctl(['set', String(A), '--local_uid', String(a + 1000), '--save']);
    expect(overlap.code).toBe(21);
    expect(overlap.stderr).toMatch(new RegExp(`^vzctl: CT ${A}: LOCAL_UID=${a + 1000}: the new range overlaps the one the VE's files are in now`, 'm'));
    const unsaved = await vzctl(['set', String(A), '--local_uid', '0']);
    expect(unsaved.code).toBe(20);
    expect(await conf(A)).toBe(text);
    expect((await stat(upper(A))).uid).toBe(a);
    await run(['start', String(A)]);
    expect(await initUid(A)).toBe(a);
  });
});
