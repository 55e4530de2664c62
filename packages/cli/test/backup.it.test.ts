/**
 * vzdump and vzrestore on the real kernel, as an administrator runs them (issue 20,
 * item 2), with busybox VEs of both kinds: both modes on a running VE and a stopped one;
 * a restore to a new CTID that has the same files, owners, modes, setuid bits and
 * capabilities inside, in a range of its own on the host; a VE on its own disk image
 * restored onto one; a damaged archive and an existing CTID refused with nothing made;
 * a vzdump killed while the VE was frozen or stopped, and a vzrestore killed midway,
 * undone by the next vzctl.
 */
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exists, RealCli, type Run } from './real-cli.js';

const cli = new RealCli('backup');
const vzctl = cli.vzctl.bind(cli);
const vzdump = (...argv: string[]) => cli.tool('vzdump', argv, {}, 120_000);
const vzrestore = (...argv: string[]) => cli.tool('vzrestore', argv, {}, 120_000);
const ct = (i: number) => cli.base + i;
const dumpDir = () => join(cli.root, 'var/lib/vzkit/dump');

beforeAll(async () => {
  await cli.setup();
}, 120_000);
afterAll(async () => {
  await cli.teardown();
}, 300_000);

function ok(r: Run, what: string): Run {
  expect(r.code, `${what}: ${r.stderr}`).toBe(0);
  return r;
}

/** The archive a vzdump printed on its last line. */
function archiveOf(r: Run): string {
  ok(r, 'vzdump');
  return r.stdout.trimEnd().split('\n').at(-1)!;
}

/** Files of several owners, a setuid program, a capability, a removed template file, a hard link. */
const FILL = [
  'echo marker-$RANDOM > /root/marker',
  'mkdir -p /home/bob && echo bob > /home/bob/notes && chown -R 1000:1000 /home/bob',
  'cp /bin/busybox /root/suid && chmod 4755 /root/suid',
  'ln /root/marker /root/marker.hard',
  'rm /etc/shells',
].join(' && ');

/** What the VE's files look like from inside: owners, modes, content. */
async function inside(ctid: number): Promise<string> {
  return ok(await vzctl(['exec', String(ctid), 'stat -c "%n %u %g %a %h" /root/marker /root/marker.hard /root/suid /home/bob/notes; cat /root/marker; ls /etc/shells 2>&1; true']), 'look inside').stdout;
}

async function running(ctid: number, ...extra: string[]): Promise<void> {
  ok(await vzctl(['create', String(ctid), '--ostemplate', 'busybox', ...extra]), 'create');
  ok(await vzctl(['start', String(ctid)]), 'start');
  ok(await vzctl(['exec', String(ctid), FILL]), 'fill');
}

async function config(ctid: number): Promise<string> {
  return readFile(join(cli.root, 'etc/vzkit/conf', `${ctid}.conf`), 'utf8');
}

describe.each([
  ['unprivileged', [] as string[]],
  ['of the host root', ['--local_uid', '0']],
])('a VE %s', (kind, extra) => {
  const i = kind === 'unprivileged' ? 0 : 10;
  const [A, B, C] = [ct(i), ct(i + 1), ct(i + 2)];

  it('suspend: frozen for the copy, running on with the same init; restored to a new CTID with the same files inside', async () => {
    await running(A, ...extra);
    const pid = await cli.initPid(A);
    const before = await inside(A);
    const r = await vzdump(String(A), '--mode', 'suspend');
    const file = archiveOf(r);
    expect(r.stderr).toMatch(/frozen while it is archived/);
    expect(r.stderr).toMatch(/its processes were frozen for \d+(\.\d)? m?s$/m);
    expect(file).toMatch(new RegExp(`^${dumpDir()}/vzdump-${A}-\\d{4}_\\d\\d_\\d\\d-\\d\\d_\\d\\d_\\d\\d\\.tar\\.zst$`));
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await cli.initPid(A)).toBe(pid);
    // Thawed: it answers at once.
    ok(await vzctl(['exec', String(A), 'true']), 'exec after the dump');

    const rr = ok(await vzrestore(file, String(B)), 'vzrestore');
    expect(rr.stderr).toMatch(new RegExp(`CT ${B}: restored from .* \\(${kind === 'unprivileged' ? 'unprivileged, its root host uid' : 'of the host root'}`));
    ok(await vzctl(['start', String(B)]), 'start the copy');
    expect(await inside(B)).toBe(before.replaceAll(String(A), String(B)));
    const bconf = await config(B);
    if (kind === 'unprivileged') {
      const own = Number(/^LOCAL_UID="(\d+)"$/m.exec(await config(A))![1]);
      const base = Number(/^LOCAL_UID="(\d+)"$/m.exec(bconf)![1]);
      expect(base).not.toBe(own);
      // On the host the copy's files are its own range's.
      const notes = await stat(join(cli.root, 'var/lib/vzkit/private', String(B), 'fs/home/bob/notes'));
      expect([notes.uid, notes.gid]).toEqual([base + 1000, base + 1000]);
    } else {
      expect(bconf).toMatch(/^LOCAL_UID="0"$/m);
    }
    expect(bconf).toMatch(/^VE_PRIVATE=".*\/private\/\\\$VEID"$/m);
  }, 120_000);

  it('stop: stopped for the copy and started again; a stopped VE is archived as it is and stays stopped', async () => {
    const pid = await cli.initPid(A);
    const file = archiveOf(await vzdump(String(A), '--mode', 'stop'));
    const now = await cli.initPid(A);
    expect(now).not.toBe(pid);
    expect(await cli.host.processes.alive(pid)).toBe(false);
    ok(await vzctl(['exec', String(A), 'cat /root/marker']), 'exec after the restart');
    ok(await vzctl(['stop', String(A)]), 'stop');
    const stopped = archiveOf(await vzdump(String(A), '--mode', 'stop'));
    expect((await vzctl(['status', String(A)])).stdout).toMatch(/down/);
    expect(await readFile('/proc/self/mountinfo', 'utf8')).not.toContain(`/root/${A} `);
    ok(await vzrestore(stopped, String(C)), 'restore the stopped one');
    ok(await vzctl(['start', String(C)]), 'start it');
    expect((await vzctl(['exec', String(C), 'cat /home/bob/notes'])).stdout).toBe('bob\n');
    expect(file).not.toBe(stopped);
    ok(await vzctl(['start', String(A)]), 'start it again');
  }, 120_000);
});

describe('refusals: nothing is made', () => {
  const A = ct(0);
  const N = ct(20);

  it('a damaged archive is refused before anything is made (17)', async () => {
    const file = archiveOf(await vzdump(String(A)));
    const bad = join(cli.root, 'damaged.tar.zst');
    const bytes = await readFile(file);
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    await writeFile(bad, bytes);
    const r = await vzrestore(bad, String(N));
    expect(r.code, r.stderr).toBe(17);
    expect(r.stderr).toMatch(/^vzrestore: .*damaged\.tar\.zst is damaged/m);
    await cli.expectClean(N);
    // Cut short, too.
    await writeFile(bad, bytes.subarray(0, bytes.length - 100));
    expect((await vzrestore(bad, String(N))).code).toBe(17);
    await cli.expectClean(N);
  }, 60_000);

  it('a restore onto an existing CTID is refused (44) and leaves that VE as it was', async () => {
    const file = (await readdir(dumpDir())).find((f) => f.startsWith(`vzdump-${A}-`))!;
    const before = await config(A);
    const r = await vzrestore(join(dumpDir(), file), String(A));
    expect(r.code, r.stderr).toBe(44);
    expect(r.stderr).toMatch(new RegExp(`^vzrestore: CT ${A} already exists`, 'm'));
    expect(await config(A)).toBe(before);
    ok(await vzctl(['exec', String(A), 'true']), 'the VE still runs');
  });
});

describe('killed midway, undone by the next vzctl', () => {
  const A = ct(0);
  const N = ct(21);

  it('vzdump killed with the VE frozen and its archive written: the next vzctl thaws it and removes the partial file', async () => {
    const r = await cli.tool('vzdump', [String(A), '--mode', 'suspend'], { VZKIT_FAULT: 'vzdump:archived' });
    expect(r.signal ?? r.code).toBe('SIGKILL');
    const left = (await readdir(dumpDir())).filter((f) => f.includes('.partial-'));
    expect(left).toHaveLength(1);
    // Frozen still: the freezer says so.
    const group = `${cli.parent}/${A}`;
    const freezer = join((await cli.host.cgroups.paths(group)).freezer!, 'freezer.state');
    expect((await readFile(freezer, 'utf8')).trim()).toBe('FROZEN');
    const t0 = Date.now();
    ok(await vzctl(['exec', String(A), 'echo alive']), 'exec');
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect((await readFile(freezer, 'utf8')).trim()).toBe('THAWED');
    expect((await readdir(dumpDir())).filter((f) => f.includes('.partial-'))).toEqual([]);
  }, 60_000);

  it('vzdump killed with the VE stopped for it: the next vzctl unmounts it and says so; it starts again', async () => {
    const r = await cli.tool('vzdump', [String(A), '--mode', 'stop'], { VZKIT_FAULT: 'hold:stopped' });
    expect(r.signal ?? r.code).toBe('SIGKILL');
    const s = await vzctl(['status', String(A)]);
    expect(s.stdout).toMatch(/down/);
    expect(s.stderr).toMatch(new RegExp(`CT ${A} was stopped for vzdump, which did not finish; start it again with 'vzctl start ${A}'`));
    expect(await readFile('/proc/self/mountinfo', 'utf8')).not.toContain(`/root/${A} `);
    ok(await vzctl(['start', String(A)]), 'start');
  }, 60_000);

  const K = ct(22);
  const freezerState = async (ctid: number) => {
    const dir = (await cli.host.cgroups.paths(`${cli.parent}/${ctid}`)).freezer!;
    return (await readFile(join(dir, 'freezer.state'), 'utf8')).trim();
  };

  it.each([
    ['suspend', 'running', 'hold:frozen'],
    ['suspend', 'running', 'vzdump:archived'],
    ['stop', 'running', 'hold:stopped'],
    ['stop', 'running', 'vzdump:archived'],
    ['suspend', 'stopped', 'hold:mounted'],
    ['stop', 'stopped', 'vzdump:archived'],
  ])('--mode %s of a %s VE killed at %s: the next vzctl leaves it as it was (a stopped-for-it VE down), no archive, no partial', async (mode, was, fault) => {
    if (!(await exists(join(cli.root, 'etc/vzkit/conf', `${K}.conf`)))) ok(await vzctl(['create', String(K), '--ostemplate', 'busybox']), 'create');
    const status = (await vzctl(['status', String(K)])).stdout;
    if (was === 'running' && !/running/.test(status)) ok(await vzctl(['start', String(K)]), 'start');
    if (was === 'stopped' && /running/.test(status)) ok(await vzctl(['stop', String(K)]), 'stop');
    const pid = was === 'running' ? await cli.initPid(K) : undefined;
    const before = new Set(await readdir(dumpDir()));
    const r = await cli.tool('vzdump', [String(K), '--mode', mode], { VZKIT_FAULT: fault });
    expect(r.signal ?? r.code).toBe('SIGKILL');
    const after = await vzctl(['status', String(K)]);
    if (was === 'running' && mode === 'suspend') {
      expect(after.stdout).toMatch(/running/);
      expect(await cli.initPid(K)).toBe(pid);
      expect(await freezerState(K)).toBe('THAWED');
    } else {
      expect(after.stdout).toMatch(/exist unmounted down/);
      if (was === 'running') expect(after.stderr).toMatch(/was stopped for vzdump, which did not finish/);
      expect(await readFile('/proc/self/mountinfo', 'utf8')).not.toContain(`/root/${K} `);
    }
    expect((await readdir(dumpDir())).filter((f) => !before.has(f))).toEqual([]);
  }, 60_000);

  it.each(['create:fill', 'create:convert:@vzkit/ns-fs'])('vzrestore killed at %s: the next vzctl removes all it made', async (fault) => {
    const file = (await readdir(dumpDir())).find((f) => f.startsWith(`vzdump-${A}-`) && f.endsWith('.tar.zst'))!;
    const r = await cli.tool('vzrestore', [join(dumpDir(), file), String(N)], { VZKIT_FAULT: fault });
    expect(r.signal ?? r.code).toBe('SIGKILL');
    expect(await exists(join(cli.root, 'var/lib/vzkit/private', String(N)))).toBe(true);
    const s = await vzctl(['status', String(N)]);
    expect(s.stdout).toMatch(/deleted/);
    await cli.expectClean(N);
  }, 60_000);
});

describe('a VE on its own disk image', () => {
  const [A, B] = [ct(30), ct(31)];

  it('restores onto a disk image of its own, with its files on it', async () => {
    await running(A, '--diskspace', '200M:200M');
    const file = archiveOf(await vzdump(String(A)));
    ok(await vzrestore(file, String(B)), 'vzrestore');
    const priv = join(cli.root, 'var/lib/vzkit/private', String(B));
    expect(JSON.parse(await readFile(join(priv, 'quota.json'), 'utf8')).backend).toBe('image');
    expect(await exists(join(priv, 'disk.img'))).toBe(true);
    // Not mounted once restored; the files are on the image, not beside it.
    expect(await readFile('/proc/self/mountinfo', 'utf8')).not.toContain(`${priv}/disk `);
    ok(await vzctl(['start', String(B)]), 'start');
    expect((await vzctl(['exec', String(B), 'cat /home/bob/notes; df -m / | tail -1'])).stdout).toMatch(/^bob\n/);
    const q = JSON.parse(ok(await cli.tool('vzquota', ['stat', String(B), '-j']), 'vzquota').stdout) as { backend: string; diskspace: { hardlimit: number } };
    expect(q).toMatchObject({ backend: 'image', diskspace: { hardlimit: 204800 } });
  }, 120_000);
});
