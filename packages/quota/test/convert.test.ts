/**
 * A quota given after create, and taken away again, on FakeHost: the private area moves
 * onto the backend's disk at the next start (or at once with quotainit) and off it, and
 * every state a killed conversion can leave is finished or undone by the next operation;
 * vzctl's and vzquota's quota commands; the soft limit held as hard once QUOTATIME has
 * passed. Asserted on the fake kernel's state: files, images, loop devices, reserves.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRuntime, resolvePaths, type CommandDecl, type Logger, type Runtime, type VzPaths } from '@vzkit/core';
import { FakeHost, templateStandIn } from '@vzkit/fake-host';
import { nsFsPlugin } from '@vzkit/ns-fs';
import { quotaPlugin, vzquotaStat } from '../src/index.js';
import { parseQuotaArgs, parseQuotaTime, QUOTA_COMMANDS } from '../src/commands.js';
import { installQuotaTools, type ToolState } from './fake-tools.js';

const CTID = 101;
const MiB = 2 ** 20;
let tmp: string;
let paths: VzPaths;
let fake: FakeHost;
let tools: ToolState;
let rt: Runtime;
let warnings: string[];
let priv: string;
let root: string;


beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'vzkit-quota-conv-'));
  paths = resolvePaths(tmp);
  priv = join(paths.private, String(CTID));
  root = join(paths.root, String(CTID));
  fake = new FakeHost();
  tools = installQuotaTools(fake);
  fake.fs.seed(join(paths.template, 'busybox/.vzkit-template'));
  fake.fs.seed(join(paths.template, 'busybox/sbin/init'), '', { mode: 0o755 });
  fake.fs.seed(join(paths.template, 'busybox/etc/passwd'), 'root:x:0:0::/root:/bin/sh\n');
  for (const d of ['proc', 'sys', 'dev', 'root', 'tmp', 'run']) fake.fs.seedDir(join(paths.template, 'busybox', d));
  warnings = [];
  const log: Logger = { info() {}, debug() {}, warn: (m) => warnings.push(m) };
  rt = createRuntime({ host: fake, plugins: [templateStandIn, quotaPlugin, nsFsPlugin], paths, log, cgroupParent: '@self/quota-test' });
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const create = (values: Record<string, string> = {}) => rt.create(CTID, { ostemplate: 'busybox', values: new Map(Object.entries(values)) });
const exists = (p: string) => fake.fs.exists(p);
const kind = async (p: string) => (await fake.fs.stat(p))?.type;
const hasRecord = () => exists(join(priv, 'quota.json'));
/** Configs are vzkit's own files, on the real disk (core reads them without the Host). */
const conf = () => readFile(join(paths.confDir, `${CTID}.conf`), 'utf8');
const fill = (name: string, mib: number) => fake.fs.writeFile(join(root, 'root', name), new Uint8Array(mib * MiB));
const CAP = new Uint8Array([1, 0, 0, 2, 0, 32, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

/** The VE's own files, made before it had a quota: several owners, a set-id program with a capability, a link. */
async function seedFiles(): Promise<void> {
  fake.fs.seed(join(priv, 'fs/etc/motd'), 'hello\n');
  fake.fs.seed(join(priv, 'fs/home/u/notes'), 'mine\n', { mode: 0o600 });
  await fake.fs.chown(join(priv, 'fs/home/u/notes'), 1005, 1007);
  await fake.fs.chown(join(priv, 'fs/home/u'), 1005, 1007);
  fake.fs.seed(join(priv, 'fs/usr/bin/ping'), 'ELF', { mode: 0o755 });
  await fake.fs.setXattr(join(priv, 'fs/usr/bin/ping'), 'security.capability', CAP);
  fake.fs.seedLink(join(priv, 'fs/etc/localtime'), '/usr/share/zoneinfo/UTC');
}

/** `base` a directory of the VE's files; through its root (FakeHost's overlay shows no xattrs) the capability is not checked. */
async function expectFilesKept(base: string): Promise<void> {
  expect(fake.fs.read(join(base, 'etc/motd'))).toBe('hello\n');
  expect(await fake.fs.stat(join(base, 'home/u/notes'))).toMatchObject({ uid: 1005, gid: 1007 });
  expect((await fake.fs.stat(join(base, 'home/u/notes')))!.mode & 0o777).toBe(0o600);
  if (base !== root) expect(await fake.fs.getXattr(join(base, 'usr/bin/ping'), 'security.capability')).toEqual(CAP);
  expect(await fake.fs.readlink(join(base, 'etc/localtime'))).toBe('/usr/share/zoneinfo/UTC');
}

async function expectNothingMounted(): Promise<void> {
  expect(fake.loopDevices()).toEqual([]);
  expect(fake.hostMounts().filter((m) => m.target.startsWith(tmp))).toEqual([]);
}

describe('a quota given after create', () => {
  it('is saved on a stopped VE and applies at the next start: the files move onto the disk, nothing lost, and the limit holds', async () => {
    await create();
    await seedFiles();
    const r = await rt.set(CTID, [{ key: 'DISKSPACE', value: '50M:60M' }], { save: true });
    expect(r.deferred).toEqual(['DISKSPACE']);
    expect(await hasRecord()).toBe(false);
    await rt.start(CTID);
    expect(await fake.fs.readlink(join(priv, 'fs'))).toBe('disk/fs');
    await expectFilesKept(join(priv, 'disk/fs'));
    await expectFilesKept(root);
    expect(await exists(join(priv, 'fs.moved'))).toBe(false);
    await expect(fill('big', 70)).rejects.toMatchObject({ code: 'ENOSPC' });
    await rt.stop(CTID, { fast: true });
    await expectNothingMounted();
  });

  it('on a running VE, is saved for the next start, and said so', async () => {
    await create();
    await rt.start(CTID);
    const r = await rt.set(CTID, [{ key: 'DISKSPACE', value: '50M' }], { save: true });
    expect(r.applied).toEqual([]);
    expect(r.deferred).toEqual(['DISKSPACE']);
    expect(await hasRecord()).toBe(false);
    await rt.stop(CTID, { fast: true });
    await rt.start(CTID);
    expect(await hasRecord()).toBe(true);
    await rt.stop(CTID, { fast: true });
  });

  it('whose files do not fit: the start fails with exit 61, the VE is as it was', async () => {
    await create();
    await seedFiles();
    fake.fs.seed(join(priv, 'fs/root/big'), new Uint8Array(3 * MiB));
    await rt.set(CTID, [{ key: 'DISKSPACE', value: '2M' }], { save: true });
    await expect(rt.start(CTID)).rejects.toMatchObject({ exit: 61, message: expect.stringMatching(/^CT 101: DISKSPACE 2048:2048: the VE's files take \d+ KiB, more than the hard limit; nothing was changed$/) });
    expect(await kind(join(priv, 'fs'))).toBe('dir');
    expect(await exists(join(priv, 'disk.img'))).toBe(false);
    expect(await hasRecord()).toBe(false);
    await expectFilesKept(join(priv, 'fs'));
    await expectNothingMounted();
  });

  it('a copy that fails midway undoes the conversion; the next start does it whole', async () => {
    await create();
    await seedFiles();
    await rt.set(CTID, [{ key: 'DISKSPACE', value: '50M' }], { save: true });
    fake.onRun('cp', () => ({ code: 1, stderr: "cp: error writing 'x': Input/output error\n" }));
    await expect(rt.start(CTID)).rejects.toMatchObject({ exit: 61, message: expect.stringMatching(/move .* onto its disk: cp exited with 1: cp: error writing/) });
    expect(await kind(join(priv, 'fs'))).toBe('dir');
    expect(await exists(join(priv, 'disk.img'))).toBe(false);
    expect(await hasRecord()).toBe(false);
    await expectNothingMounted();
    installQuotaTools(fake);
    await rt.start(CTID);
    await expectFilesKept(root);
    await rt.stop(CTID, { fast: true });
  });
});

describe('a quota taken away', () => {
  it('--diskspace unlimited: saved as unlimited, and at the next start the files come off the disk, which goes', async () => {
    await create({ DISKSPACE: '50M:60M' });
    await rt.start(CTID);
    fake.fs.seed(join(root, 'etc/motd'), 'hello\n');
    const r = await rt.set(CTID, [{ key: 'DISKSPACE', value: 'unlimited' }], { save: true });
    expect(r.deferred).toEqual(['DISKSPACE']);
    expect(await conf()).toContain('DISKSPACE="unlimited"');
    await rt.stop(CTID, { fast: true });
    await rt.start(CTID);
    expect(await kind(join(priv, 'fs'))).toBe('dir');
    expect(await kind(join(priv, 'work'))).toBe('dir');
    expect(fake.fs.read(join(priv, 'fs/etc/motd'))).toBe('hello\n');
    expect(fake.fs.read(join(root, 'etc/motd'))).toBe('hello\n');
    for (const left of ['disk.img', 'disk', 'quota.json', 'fs.off', 'fs.partial']) expect(await exists(join(priv, left)), left).toBe(false);
    // No quota any more: the host's filesystem, no limit.
    await fill('big', 70);
    await rt.stop(CTID, { fast: true });
    await expectNothingMounted();
  });

  it('DISKINODES alone is refused (exit 63): it needs DISKSPACE', async () => {
    await create({ DISKSPACE: '50M', DISKINODES: '2000' });
    await expect(rt.set(CTID, [{ key: 'DISKSPACE', value: 'unlimited' }], { save: true })).rejects.toMatchObject({ exit: 63 });
    await rt.set(CTID, [{ key: 'DISKSPACE', value: 'unlimited' }, { key: 'DISKINODES', value: 'unlimited' }], { save: true });
  });

  it('files that do not fit beside the disk: the VE keeps its disk and starts, saying why', async () => {
    await create({ DISKSPACE: '50M' });
    await rt.mount(CTID);
    await rt.umount(CTID);
    await rt.set(CTID, [{ key: 'DISKSPACE', value: 'unlimited' }], { save: true });
    fake.onRun('cp', () => ({ code: 1, stderr: "cp: error writing 'x': No space left on device\n" }));
    await rt.start(CTID);
    expect(warnings.join('\n')).toMatch(/the VE stays on its disk, whose size it keeps: .*No space left on device/);
    expect(await hasRecord()).toBe(true);
    expect(await exists(join(priv, 'fs.off'))).toBe(false);
    expect(await exists(join(priv, 'fs.partial'))).toBe(false);
    await rt.stop(CTID, { fast: true });
  });
});

describe('a conversion killed midway is finished or undone by the next operation', () => {
  it('onto, before the record: the half-made disk goes, the files are untouched', async () => {
    await create();
    await seedFiles();
    // What a kill after the image was made and mounted leaves.
    await fake.fs.writeFile(join(priv, 'disk.img'), 'half');
    await fake.fs.mkdir(join(priv, 'disk/fs.partial'), { recursive: true });
    await rt.mount(CTID);
    await rt.umount(CTID);
    expect(await exists(join(priv, 'disk.img'))).toBe(false);
    expect(await exists(join(priv, 'disk'))).toBe(false);
    await expectFilesKept(join(priv, 'fs'));
  });

  it('onto, after the record: the links are made, nothing copied again', async () => {
    await create();
    await seedFiles();
    await rt.set(CTID, [{ key: 'DISKSPACE', value: '50M' }], { save: true });
    await rt.mount(CTID);
    await rt.umount(CTID);
    // Back to "record written, fs still the original, renamed aside": what a kill after the rename leaves.
    await fake.fs.remove(join(priv, 'fs'));
    await fake.fs.mkdir(join(priv, 'fs.moved'));
    tools.runs.length = 0;
    await rt.mount(CTID);
    expect(await fake.fs.readlink(join(priv, 'fs'))).toBe('disk/fs');
    expect(await exists(join(priv, 'fs.moved'))).toBe(false);
    expect(tools.runs.filter((r) => r.startsWith('cp '))).toEqual([]);
    await expectFilesKept(root);
    await rt.umount(CTID);
  });

  it('off, before the commit: the copy beside the disk goes, the VE stays on its disk', async () => {
    await create({ DISKSPACE: '50M' });
    await seedFilesThroughRoot();
    await fake.fs.mkdir(join(priv, 'fs.off/etc'), { recursive: true });
    await fake.fs.writeFile(join(priv, 'fs.off/etc/motd'), 'stale\n');
    await rt.mount(CTID);
    expect(await exists(join(priv, 'fs.off'))).toBe(false);
    expect(fake.fs.read(join(root, 'etc/motd'))).toBe('hello\n');
    await rt.umount(CTID);
  });

  it('off, after the commit: the copy becomes the VE\'s files and the disk goes', async () => {
    await create({ DISKSPACE: '50M' });
    await seedFilesThroughRoot();
    await rt.set(CTID, [{ key: 'DISKSPACE', value: 'unlimited' }], { save: true });
    // The copy is complete and the record gone: what a kill after the commit leaves.
    await rt.withPlugin(CTID, '@vzkit/quota', 'test', async (ctx) => {
      await ctx.host.mounts.mount({ source: join(priv, 'disk.img'), target: join(priv, 'disk'), fstype: 'ext4', loop: true });
      await ctx.host.fs.mkdir(join(priv, 'fs.off'));
      await ctx.host.processes.run(['cp', '-R', `${join(priv, 'disk/fs')}/.`, `${join(priv, 'fs.off')}/`]);
      await ctx.host.fs.remove(join(priv, 'quota.json'));
    });
    expect(await kind(join(priv, 'fs'))).toBe('symlink');
    // The next operation on the VE, whatever it is, finishes it (here a umount after a mount).
    await rt.mount(CTID);
    await rt.umount(CTID);
    expect(await kind(join(priv, 'fs'))).toBe('dir');
    expect(fake.fs.read(join(priv, 'fs/etc/motd'))).toBe('hello\n');
    expect(await exists(join(priv, 'disk.img'))).toBe(false);
    await expectNothingMounted();
  });

  async function seedFilesThroughRoot(): Promise<void> {
    await rt.mount(CTID);
    fake.fs.seed(join(root, 'etc/motd'), 'hello\n');
    await rt.umount(CTID);
  }
});

describe('vzctl quotainit|quotaon|quotaoff and vzquota init|on|off|drop|setlimit', () => {
  const cmd = (tool: string, name: string) => QUOTA_COMMANDS.find((c) => c.tool === tool && c.name === name)!;
  async function run(c: CommandDecl | undefined, ...argv: string[]): Promise<{ code: number; out: string[] }> {
    const out: string[] = [];
    const code = await c!.run({ runtime: rt, out: (l) => out.push(l), err: (l) => out.push(l) }, argv);
    return { code, out };
  }
  const vzquota = (name: string, ...argv: string[]) => run(cmd('vzquota', name), ...argv);
  const vzctl = (name: string, ...argv: string[]) => run(cmd('vzctl', name), ...argv);

  it('vzctl quotainit makes the disk of a stopped VE now; 63 without DISKSPACE, 61 while it runs', async () => {
    await create();
    await seedFiles();
    await expect(vzctl('quotainit', String(CTID))).rejects.toMatchObject({ exit: 63 });
    await rt.set(CTID, [{ key: 'DISKSPACE', value: '50M' }], { save: true });
    expect((await vzctl('quotainit', String(CTID))).code).toBe(0);
    expect(await hasRecord()).toBe(true);
    expect(await fake.fs.readlink(join(priv, 'fs'))).toBe('disk/fs');
    await expectNothingMounted();
    await rt.start(CTID);
    await expectFilesKept(root);
    await expect(vzctl('quotainit', String(CTID))).rejects.toMatchObject({ exit: 61, message: expect.stringMatching(/its quota is running/) });
    await rt.stop(CTID, { fast: true });
  });

  it('quotaon mounts a stopped VE\'s disk (stat works, vzquota on says 5), quotaoff and off take it away (6 the second time)', async () => {
    await create({ DISKSPACE: '50M:60M' });
    expect((await vzctl('quotaon', String(CTID))).code).toBe(0);
    expect(fake.loopDevices()).toHaveLength(1);
    expect((await run(vzquotaStat, String(CTID))).out[1]).toMatch(/^ {2}1k-blocks +\d+ +51200 +61440/);
    await expect(vzquota('on', String(CTID))).rejects.toMatchObject({ exit: 5 });
    // A start takes the disk over and a stop ends the quota, as OpenVZ's.
    await rt.start(CTID);
    await expect(vzquota('off', String(CTID))).rejects.toMatchObject({ exit: 3, message: expect.stringMatching(/cannot be off while the VE uses it/) });
    await expect(vzctl('quotaoff', String(CTID))).rejects.toMatchObject({ exit: 66 });
    await rt.stop(CTID, { fast: true });
    await expectNothingMounted();
    await expect(vzquota('off', String(CTID))).rejects.toMatchObject({ exit: 6 });
    expect((await vzctl('quotaoff', String(CTID))).code).toBe(0);
    expect((await vzquota('on', String(CTID))).code).toBe(0);
    expect((await vzquota('off', String(CTID))).code).toBe(0);
    await expectNothingMounted();
  });

  it('vzquota init saves the limits it is given and makes the disk; on without a quota is 11', async () => {
    await create();
    await expect(vzquota('on', String(CTID))).rejects.toMatchObject({ exit: 11 });
    expect((await vzquota('init', String(CTID), '-b', '40960', '-B', '51200', '-i', '2000', '-I', '3000', '-e', '1h', '-n', '1h', '-p', priv)).code).toBe(0);
    const text = await conf();
    expect(text).toContain('DISKSPACE="40960:51200"');
    expect(text).toContain('DISKINODES="2000:3000"');
    expect(text).toContain('QUOTATIME="3600"');
    expect(await hasRecord()).toBe(true);
    await expect(vzquota('init', String(CTID), '-b', '1', '-B', '2', '-p', '/elsewhere')).rejects.toMatchObject({ exit: 2 });
    await expect(vzquota('init', String(CTID), '-c', '/var/vzquota/quota.101')).rejects.toMatchObject({ exit: 2, message: expect.stringMatching(/keeps no quota file/) });
  });

  it('vzquota setlimit saves, and applies live; 11 without a quota', async () => {
    await expect(vzquota('setlimit', '999', '-b', '10')).rejects.toMatchObject({ exit: 1 });
    await create();
    await expect(vzquota('setlimit', String(CTID), '-I', '100')).rejects.toMatchObject({ exit: 11 });
    await rt.set(CTID, [{ key: 'DISKSPACE', value: '50M:60M' }], { save: true });
    await rt.start(CTID);
    expect((await vzquota('setlimit', String(CTID), '-B', '102400')).code).toBe(0);
    expect(await conf()).toContain('DISKSPACE="51200:102400"');
    expect((await fake.fs.statfs(root)).blocks * 4).toBe(102400);
    await rt.stop(CTID, { fast: true });
  });

  it('vzquota drop moves the files off the disk (5 while running, 11 without a quota) and says DISKSPACE brings it back', async () => {
    await create({ DISKSPACE: '50M' });
    await rt.start(CTID);
    fake.fs.seed(join(root, 'etc/motd'), 'hello\n');
    await expect(vzquota('drop', String(CTID))).rejects.toMatchObject({ exit: 5 });
    await rt.stop(CTID, { fast: true });
    expect((await vzquota('drop', String(CTID))).code).toBe(0);
    expect(warnings.join('\n')).toMatch(/DISKSPACE is still set: the next start gives the VE a disk again/);
    expect(await kind(join(priv, 'fs'))).toBe('dir');
    expect(fake.fs.read(join(priv, 'fs/etc/motd'))).toBe('hello\n');
    expect(await exists(join(priv, 'disk.img'))).toBe(false);
    await expect(vzquota('drop', String(CTID))).rejects.toMatchObject({ exit: 11 });
  });

  it('parses vzquota\'s options and times', () => {
    expect(parseQuotaTime('30')).toBe(30);
    expect(parseQuotaTime('12:00')).toBe(720);
    expect(parseQuotaTime('20:15:11:00')).toBe(20 * 86400 + 15 * 3600 + 11 * 60);
    expect(parseQuotaTime('7D')).toBe(7 * 86400);
    expect(parseQuotaTime('01w')).toBe(7 * 86400);
    expect(parseQuotaTime('3m')).toBe(90 * 86400);
    expect(parseQuotaTime('soon')).toBeUndefined();
    expect(parseQuotaArgs('setlimit', ['-b', '10', '101', '-B', '20'])).toMatchObject({ id: '101', blockSoft: 10, blockHard: 20 });
    expect(() => parseQuotaArgs('setlimit', ['101', '-e', '10', '-n', '20'])).toThrow(/one grace period/);
    expect(() => parseQuotaArgs('off', ['101', '-b', '10'])).toThrow(/not for off/);
    expect(() => parseQuotaArgs('on', [])).toThrow(/one CTID expected/);
  });
});

describe('soft limits past QUOTATIME', () => {
  /** Moves the grace clock back, as if the VE had been over its soft limit for `s` seconds. */
  async function overFor(s: number): Promise<void> {
    const file = join(priv, 'quota.grace.json');
    const g = JSON.parse(await fake.fs.readFile(file)) as { diskspace: { since: number } };
    g.diskspace.since -= s;
    await fake.fs.writeFile(file, JSON.stringify(g));
  }
  const stat = async () => (await rt.stats(CTID)).find((r) => r.resource === 'diskspace')!;

  it('image: the soft limit holds as the hard one once the grace is over, until usage is back under it; a restart keeps the clock', async () => {
    await create({ DISKSPACE: '40M:60M', QUOTATIME: '100' });
    await rt.start(CTID);
    await fill('a', 45);
    // The first look starts the clock; within the grace the hard limit holds.
    expect((await stat()).extra).toMatchObject({ soft: 'enforced', graceEnds: expect.any(Number) });
    expect((await stat()).extra?.['held']).toBeUndefined();
    await fill('b', 5);
    await overFor(200);
    expect((await stat()).extra).toMatchObject({ held: 'soft' });
    await expect(fill('c', 1)).rejects.toMatchObject({ code: 'ENOSPC' });
    // A restart does not reset it: held again at once.
    await rt.stop(CTID, { fast: true });
    await rt.start(CTID);
    await expect(fill('c', 1)).rejects.toMatchObject({ code: 'ENOSPC' });
    // Back under the soft limit: the next look gives the hard limit back and stops the clock.
    await fake.fs.remove(join(root, 'root/a'));
    expect((await stat()).extra?.['held']).toBeUndefined();
    expect(await exists(join(priv, 'quota.grace.json'))).toBe(false);
    await fill('d', 50);
    expect((await stat()).extra).toMatchObject({ graceEnds: expect.any(Number) });
    expect(await exists(join(priv, 'quota.grace.json'))).toBe(true);
    await rt.stop(CTID, { fast: true });
  });

  it('a raised soft limit ends the hold at once (set)', async () => {
    await create({ DISKSPACE: '40M:60M', QUOTATIME: '0' });
    await rt.start(CTID);
    await fill('a', 45);
    expect((await stat()).extra).toMatchObject({ held: 'soft' });
    await rt.set(CTID, [{ key: 'DISKSPACE', value: '50M:60M' }]);
    expect(warnings.join('\n')).toMatch(/disk usage is back under DISKSPACE's soft limit: the hard limit holds again/);
    await fill('b', 4);
    await rt.set(CTID, [{ key: 'DISKSPACE', value: '30M:60M' }]);
    expect(warnings.join('\n')).toMatch(/grace period \(QUOTATIME 0 s\) of DISKSPACE's soft limit is over: 30720 KiB holds as the hard limit until usage is back under it/);
    await expect(fill('c', 1)).rejects.toMatchObject({ code: 'ENOSPC' });
    await rt.stop(CTID, { fast: true });
  });
});
