/**
 * vzdump and vzrestore on FakeHost, composed with the plugins that make a VE's files
 * (template, ns-user, ns-fs) and run it (ns-pid, ns-net): what each mode does to the VE
 * while its files are read, what the archive holds, how a restore gives the files to a
 * new VE's id range, and that a refused or failed restore makes nothing.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRuntime, isVzError, resolvePaths, type CommandApi, type Runtime, type VzPaths } from '@vzkit/core';
import { FakeHost } from '@vzkit/fake-host';
import { nsFsPlugin } from '@vzkit/ns-fs';
import { nsNetPlugin } from '@vzkit/ns-net';
import { nsPidPlugin } from '@vzkit/ns-pid';
import { nsUserPlugin } from '@vzkit/ns-user';
import { templatePlugin } from '@vzkit/template';
import { backupPlugin, MANIFEST_MEMBER, vzdumpCommand, vzrestoreCommand, type Manifest } from '../src/index.js';
import { installFakeTools, ZSTD_MAGIC, type FakeTools } from './fake-programs.js';
import { readTar } from './tar-bytes.js';

let tmp: string;
let paths: VzPaths;
let fake: FakeHost;
let rt: Runtime;
let tools: FakeTools;

beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'vzkit-backup-'));
  paths = resolvePaths(tmp);
  fake = new FakeHost();
  fake.fs.seed('/bin/busybox', '\x7fELF busybox\0', { mode: 0o755 });
  tools = installFakeTools(fake);
  rt = createRuntime({ host: fake, plugins: [templatePlugin, nsUserPlugin, nsFsPlugin, nsPidPlugin, nsNetPlugin, backupPlugin], paths });
});

afterEach(async () => {
  for (const ctid of await rt.ctids()) if ((await rt.status(ctid)).running) await rt.stop(ctid, { fast: true });
  await rm(tmp, { recursive: true, force: true });
});

interface Ran { code: number; out: string[]; err: string[] }

/** Runs a tool as the CLI would: its result, what it printed; a VzError as the CLI reports it. */
async function tool(cmd: typeof vzdumpCommand, ...argv: string[]): Promise<Ran & { error?: { code: string; exit: number; message: string } }> {
  const out: string[] = [];
  const err: string[] = [];
  const api: CommandApi = { runtime: rt, out: (l) => out.push(l), err: (l) => err.push(l) };
  try {
    return { code: await cmd.run.call(cmd, api, argv), out, err };
  } catch (e) {
    if (!isVzError(e)) throw e;
    return { code: e.exit, out, err, error: { code: e.code, exit: e.exit, message: e.message } };
  }
}

const priv = (ctid: number) => join(paths.private, String(ctid));
const conf = (ctid: number) => readFile(join(paths.confDir, `${ctid}.conf`), 'utf8');

/** An unprivileged busybox VE (range 100000) with files of two owners, a link, a whiteout. */
async function made(ctid = 101, values: Record<string, string> = {}): Promise<void> {
  await rt.create(ctid, { ostemplate: 'busybox', values: new Map(Object.entries({ LOCAL_UID: '100000', ...values })) });
  const fs = join(priv(ctid), 'fs');
  const id = Number(values.LOCAL_UID ?? 100000);
  fake.fs.seed(join(fs, 'root/marker'), 'made before the backup\n', { mode: 0o600 });
  fake.fs.seed(join(fs, 'home/bob/notes'), 'bob\n');
  fake.fs.seedLink(join(fs, 'etc/localtime'), '/usr/share/zoneinfo/UTC');
  fake.fs.seedDir(join(fs, 'bin'));
  fake.fs.mknodSync(join(fs, 'bin/removed'), 'c', 0, 0, 0o600);
  // Everything the VE's root made is its own; bob's are bob's.
  for (const p of ['root', 'root/marker', 'home', 'home/bob', 'etc', 'etc/localtime', 'bin', 'bin/removed']) fake.fs.chownSync(join(fs, p), id, id);
  fake.fs.chownSync(join(fs, 'home/bob/notes'), id + 1000, id + 1000);
}

async function dumped(...argv: string[]): Promise<{ file: string; run: Ran }> {
  const run = await tool(vzdumpCommand, ...argv);
  expect(run, JSON.stringify(run)).toMatchObject({ code: 0 });
  return { file: run.out.at(-1)!, run };
}

function members(file: string) {
  const bytes = fake.fs.readSync(file);
  expect(Buffer.from(bytes.subarray(0, 4)).toString()).toBe(ZSTD_MAGIC);
  return readTar(bytes.subarray(4));
}

describe('vzdump', () => {
  it('of a stopped VE: the archive\'s path last; config, files with their owners and kinds, manifest; the VE stays as it was', async () => {
    await made();
    const { file, run } = await dumped('101');
    expect(file).toMatch(new RegExp(`^${paths.lib}/dump/vzdump-101-\\d{4}_\\d\\d_\\d\\d-\\d\\d_\\d\\d_\\d\\d\\.tar\\.zst$`));
    expect(run.out).toEqual([file]);
    expect(fake.fs.statSync(file)).toMatchObject({ type: 'file', mode: 0o600 });
    expect(fake.fs.readdirSync(join(paths.lib, 'dump'))).toEqual([file.split('/').at(-1)]);
    const m = members(file);
    expect(m[0]!.name).toBe('vzdump/ve.conf');
    expect(Buffer.from(m[0]!.data).toString()).toBe(await conf(101));
    const byName = new Map(m.map((e) => [e.name.replace(/\/$/, ''), e]));
    expect(byName.get('private/fs/root/marker')).toMatchObject({ uid: 100000, mode: 0o600 });
    expect(byName.get('private/fs/home/bob/notes')).toMatchObject({ uid: 101000 });
    expect(byName.get('private/fs/etc/localtime')).toMatchObject({ type: '2', link: '/usr/share/zoneinfo/UTC' });
    expect(byName.get('private/fs/bin/removed')).toMatchObject({ type: '3' });
    const manifest = JSON.parse(Buffer.from(m.at(-1)!.data).toString()) as Manifest;
    expect(m.at(-1)!.name).toBe(MANIFEST_MEMBER);
    expect(manifest).toMatchObject({ ctid: 101, mode: 'suspend', state: 'stopped', held: 'none', ostemplate: 'busybox', ids: { uid: 100000, gid: 100000 } });
    expect(manifest.files.map((f) => f.path)).toEqual(['vzdump/ve.conf', 'private/fs/home/bob/notes', 'private/fs/root/marker']);
    // Mounted for the read, unmounted after; not started.
    expect((await rt.status(101))).toMatchObject({ running: false, mounted: false });
    expect(fake.hostMounts().filter((x) => x.target.startsWith(tmp))).toEqual([]);
  });

  it('--mode suspend of a running VE: frozen while tar reads, thawed after, same init', async () => {
    await made();
    const pid = await rt.start(101);
    let frozen: boolean | undefined;
    tools.onCreate = () => void (frozen = fake.cgroups.isFrozen('vzkit/101'));
    const { run } = await dumped('101', '--mode', 'suspend');
    expect(frozen).toBe(true);
    expect(fake.cgroups.isFrozen('vzkit/101')).toBe(false);
    expect((await rt.status(101)).pid).toBe(pid);
    expect(run.err.join('\n')).toMatch(/CT 101: running: its processes are frozen while it is archived/);
  });

  it('--mode stop of a running VE: stopped while tar reads, started again after', async () => {
    await made();
    const pid = await rt.start(101);
    let alive: boolean | undefined;
    tools.onCreate = async () => void (alive = await fake.processes.alive(pid));
    await dumped('101', '--mode', 'stop', '--dumpdir', paths.prefix);
    expect(alive).toBe(false);
    const now = await rt.status(101);
    expect(now.running).toBe(true);
    expect(now.pid).not.toBe(pid);
  });

  it('a tar that fails: BACKUP_FAILED, no archive and no partial file, the VE thawed', async () => {
    await made();
    await rt.start(101);
    tools.failCreate = true;
    const r = await tool(vzdumpCommand, '101');
    expect(r.error).toMatchObject({ code: 'BACKUP_FAILED', exit: 3, message: expect.stringMatching(/tar could not read .*Permission denied/) });
    expect(fake.fs.readdirSync(join(paths.lib, 'dump'))).toEqual([]);
    expect(fake.cgroups.isFrozen('vzkit/101')).toBe(false);
  });

  it('refuses bad arguments in one line (20), a missing --dumpdir (21), an unknown CT (14)', async () => {
    expect((await tool(vzdumpCommand)).error).toMatchObject({ exit: 20, message: 'no CTID given' });
    expect((await tool(vzdumpCommand, '101', '--mode', 'snapshot')).error).toMatchObject({ exit: 20, message: expect.stringMatching(/^--mode snapshot: stop or suspend/) });
    expect((await tool(vzdumpCommand, '101', '--dumpdir', '/nonexistent')).error).toMatchObject({ exit: 21 });
    expect((await tool(vzdumpCommand, '999')).error).toMatchObject({ exit: 14 });
  });

  it('removes partial archives of vzdumps that died', async () => {
    await made();
    const dir = join(paths.lib, 'dump');
    fake.fs.seed(join(dir, 'vzdump-101-2020_01_01-00_00_00.tar.zst.partial-999999'), 'half');
    const { file } = await dumped('101');
    expect(fake.fs.readdirSync(dir)).toEqual([file.split('/').at(-1)]);
  });
});

describe('vzrestore', () => {
  it('to a new CTID: its own id range, the files moved into it, this host\'s paths, the archived settings', async () => {
    await made(101, { HOSTNAME: 'web1' });
    const { file } = await dumped('101');
    const r = await tool(vzrestoreCommand, file, '102');
    expect(r, JSON.stringify(r)).toMatchObject({ code: 0 });
    const text = await conf(102);
    expect(text).toMatch(/^HOSTNAME="web1"$/m);
    expect(text).toMatch(/^LOCAL_UID="165536"$/m);
    expect(text).toMatch(/^VE_PRIVATE=".*\/private\/\\\$VEID"$/m);
    const fs = join(priv(102), 'fs');
    expect(fake.fs.statSync(join(fs, 'root/marker'))).toMatchObject({ uid: 165536, gid: 165536, mode: 0o600 });
    expect(fake.fs.read(join(fs, 'root/marker'))).toBe('made before the backup\n');
    expect(fake.fs.statSync(join(fs, 'home/bob/notes'))).toMatchObject({ uid: 166536 });
    expect(fake.fs.statSync(fs)).toMatchObject({ uid: 165536 });
    expect(fake.fs.readlinkSync(join(fs, 'etc/localtime'))).toBe('/usr/share/zoneinfo/UTC');
    // The copy runs, with the file in its own range.
    const pid = await rt.start(102);
    expect(fake.process(pid)!.uidMap).toEqual([{ inside: 0, outside: 165536, count: 65536 }]);
    // The original is untouched.
    expect(fake.fs.statSync(join(priv(101), 'fs/root/marker'))).toMatchObject({ uid: 100000 });
  });

  it('under the CTID of a VE destroyed since: the same range comes back, nothing to move', async () => {
    await made();
    const { file } = await dumped('101');
    await rt.destroy(101);
    expect((await tool(vzrestoreCommand, file, '101')).code).toBe(0);
    expect(await conf(101)).toMatch(/^LOCAL_UID="100000"$/m);
    expect(fake.fs.statSync(join(priv(101), 'fs/root/marker'))).toMatchObject({ uid: 100000 });
  });

  it('a VE of the host root restores as one (LOCAL_UID=0); --local_uid makes it unprivileged on the way', async () => {
    await made(101, { LOCAL_UID: '0' });
    const { file } = await dumped('101');
    expect((await tool(vzrestoreCommand, file, '102')).code).toBe(0);
    expect(await conf(102)).toMatch(/^LOCAL_UID="0"$/m);
    expect(fake.fs.statSync(join(priv(102), 'fs/root/marker'))).toMatchObject({ uid: 0 });
    expect((await tool(vzrestoreCommand, file, '103', '--local_uid', 'auto')).code).toBe(0);
    expect(fake.fs.statSync(join(priv(103), 'fs/home/bob/notes'))).toMatchObject({ uid: 101000 });
  });

  /** Nothing of CT `ctid` exists: config, private area, state, id reservation. */
  function nothingOf(ctid: number): void {
    expect(fake.fs.statSync(priv(ctid))).toBeUndefined();
    expect(fake.fs.statSync(join(paths.confDir, `${ctid}.conf`))).toBeUndefined();
    expect(fake.fs.statSync(join(paths.run, String(ctid)))).toBeUndefined();
    expect(fake.fs.statSync(join(paths.run, 'ns-user/ranges', String(ctid)))).toBeUndefined();
  }

  it('onto an existing CTID: refused (44) before the archive is read', async () => {
    await made();
    const { file } = await dumped('101');
    const r = await tool(vzrestoreCommand, file, '101');
    expect(r.error).toMatchObject({ code: 'VE_EXISTS', exit: 44, message: 'CT 101 already exists' });
    expect(r.err).toEqual([]);
  });

  it('a damaged archive (one byte of one file) is refused (17) naming the file, and nothing is made', async () => {
    await made();
    const { file } = await dumped('101');
    const b = Buffer.from(fake.fs.readSync(file));
    b[b.indexOf('made before')] = 0x4d;
    fake.fs.writeSync(file, b);
    const r = await tool(vzrestoreCommand, file, '102');
    expect(r.error).toMatchObject({ code: 'BACKUP_DAMAGED', exit: 17, message: expect.stringMatching(/is damaged: private\/fs\/root\/marker has sha256/) });
    nothingOf(102);
  });

  it('a file that is not an archive is refused (17); a missing one too', async () => {
    fake.fs.seed(join(tmp, 'x.tar.zst'), 'not zstd');
    expect((await tool(vzrestoreCommand, join(tmp, 'x.tar.zst'), '102')).error).toMatchObject({ code: 'BACKUP_DAMAGED', exit: 17, message: expect.stringMatching(/not a zstd archive: zstd: .*unsupported format/) });
    expect((await tool(vzrestoreCommand, join(tmp, 'none.tar.zst'), '102')).error).toMatchObject({ code: 'BACKUP_NOT_FOUND', exit: 17 });
    nothingOf(102);
  });

  it('a NAME or an address another VE has is refused (131, 78); --name and --ipdel/--ipadd change them', async () => {
    await made(101, { NAME: 'web', IP_ADDRESS: '198.18.0.11' });
    const { file } = await dumped('101');
    expect((await tool(vzrestoreCommand, file, '102')).error).toMatchObject({ code: 'IP_INUSE', exit: 78, message: "CT 102: address 198.18.0.11 is CT 101's (in its config)" });
    expect((await tool(vzrestoreCommand, file, '102', '--ipdel', 'all')).error).toMatchObject({ code: 'NAME_IN_USE', exit: 131 });
    nothingOf(102);
    const r = await tool(vzrestoreCommand, file, '102', '--name', 'web-copy', '--ipdel', '198.18.0.11', '--ipadd', '198.18.0.12');
    expect(r, JSON.stringify(r)).toMatchObject({ code: 0 });
    const text = await conf(102);
    expect(text).toMatch(/^NAME="web-copy"$/m);
    expect(text).toMatch(/^IP_ADDRESS="198.18.0.12"$/m);
  });

  it('bad parameters are refused before the archive is read (20, 21)', async () => {
    expect((await tool(vzrestoreCommand, 'a.tar.zst')).error).toMatchObject({ exit: 20 });
    expect((await tool(vzrestoreCommand, 'a.tar.zst', '102', '--nosuch', 'x')).error).toMatchObject({ exit: 20, message: 'unknown option --nosuch' });
    expect((await tool(vzrestoreCommand, 'a.tar.zst', '102', '--userpasswd', 'root:x')).error).toMatchObject({ exit: 20 });
  });

  it('an unpack that fails (a full disk) removes all the restore made', async () => {
    await made();
    const { file } = await dumped('101');
    tools.failExtract = true;
    const r = await tool(vzrestoreCommand, file, '102');
    expect(r.error).toMatchObject({ code: 'NO_DISK_SPACE', exit: 46 });
    nothingOf(102);
  });
});
