/**
 * The quota plugin with ns-fs on FakeHost: the backend each host gets, the disks it
 * makes, the limits they hold, live changes and what is left after stop, destroy and
 * failures — asserted on the fake kernel's state (images, loop devices, mounts, statfs).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRuntime, isVzError, resolvePaths, type Logger, type Runtime, type VzPaths } from '@vzkit/core';
import { FakeHost, templateStandIn, type FakeHostOptions } from '@vzkit/fake-host';
import { nsFsPlugin } from '@vzkit/ns-fs';
import { quotaPlugin, UGID_MOUNT, vzquotaShow, vzquotaStat } from '../src/index.js';
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


function setup(opts: FakeHostOptions = {}, noCapSysResource = false): void {
  fake = new FakeHost(opts);
  if (noCapSysResource) fake.dropCallerCaps(24);
  tools = installQuotaTools(fake);
  fake.fs.seed(join(paths.template, 'busybox/.vzkit-template'));
  fake.fs.seed(join(paths.template, 'busybox/sbin/init'), '', { mode: 0o755 });
  fake.fs.seed(join(paths.template, 'busybox/etc/passwd'), 'root:x:0:0::/root:/bin/sh\n');
  for (const d of ['proc', 'sys', 'dev', 'root', 'tmp', 'run']) fake.fs.seedDir(join(paths.template, 'busybox', d));
  warnings = [];
  const log: Logger = { info() {}, debug() {}, warn: (m) => warnings.push(m) };
  rt = createRuntime({ host: fake, plugins: [templateStandIn, quotaPlugin, nsFsPlugin], paths, log, cgroupParent: '@self/quota-test' });
}

beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'vzkit-quota-'));
  paths = resolvePaths(tmp);
  priv = join(paths.private, String(CTID));
  root = join(paths.root, String(CTID));
  setup();
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function create(values: Record<string, string>, ctid = CTID): Promise<void> {
  await rt.create(ctid, { ostemplate: 'busybox', values: new Map(Object.entries(values)) });
}

const image = () => join(priv, 'disk.img');
const statfsKb = async (path: string) => {
  const s = await fake.fs.statfs(path);
  return { size: (s.blocks * s.blockSize) / 1024, avail: (s.blocksAvailable * s.blockSize) / 1024 };
};
/** Writes `mib` MiB into the VE's root (through the overlay, as the VE would). */
const fill = (name: string, mib: number) => fake.fs.writeFile(join(root, 'root', name), new Uint8Array(mib * MiB));
const record = async () => JSON.parse(await fake.fs.readFile(join(priv, 'quota.json'))) as Record<string, unknown>;

async function expectNothingLeft(): Promise<void> {
  expect(fake.loopDevices()).toEqual([]);
  expect(fake.hostMounts().filter((m) => m.target.startsWith(tmp))).toEqual([]);
}

describe('image backend (any kernel)', () => {
  it('create makes a sparse ext4 image whose statfs size is DISKSPACE\'s hard limit, to the block', async () => {
    await create({ DISKSPACE: '50M:60M', DISKINODES: '2000:2000' });
    expect(await record()).toEqual({ backend: 'image', mode: 'exact', ugid: false });
    const img = fake.imageOf(image())!;
    expect(img.fstype).toBe('ext4');
    expect(img.capacity.blocks * 4).toBe(61440);
    expect(img.capacity.files).toBeLessThanOrEqual(2011);
    expect(img.loop).toBeUndefined();
    // ns-fs made the layers as usual; the first mount moves them onto the disk.
    expect((await fake.fs.stat(join(priv, 'fs')))?.type).toBe('dir');
  });

  it('mount puts the image on a loop device at VE_PRIVATE/disk, the layers on it, and the root on those', async () => {
    await create({ DISKSPACE: '50M:60M' });
    await rt.mount(CTID);
    expect(fake.loopDevices()).toEqual([expect.objectContaining({ file: image() })]);
    expect(await fake.fs.readlink(join(priv, 'fs'))).toBe('disk/fs');
    expect(await fake.fs.readlink(join(priv, 'work'))).toBe('disk/work');
    expect((await fake.fs.stat(join(priv, 'disk/fs')))?.mode).toBe(0o755);
    // df inside the VE: the overlay reports its upper layer's filesystem, the image.
    expect((await statfsKb(root)).size).toBe(61440);
    await fill('a', 30);
    await expect(fill('b', 40)).rejects.toMatchObject({ code: 'ENOSPC' });
    await rt.umount(CTID);
    await expectNothingLeft();
    // The files stay on the image for the next mount.
    await rt.mount(CTID);
    expect((await fake.fs.stat(join(root, 'root/a')))?.size).toBe(30 * MiB);
    await rt.umount(CTID);
  });

  it('start, a live raise (online resize2fs), stop and destroy leave no image, loop device or mount', async () => {
    await create({ DISKSPACE: '50M:60M' });
    await rt.start(CTID);
    await fill('a', 50);
    await expect(fill('b', 20)).rejects.toMatchObject({ code: 'ENOSPC' });
    await rt.set(CTID, [{ key: 'DISKSPACE', value: '90M:100M' }]);
    expect((await statfsKb(root)).size).toBe(102400);
    expect(fake.loopDevices()[0]!.size).toBeGreaterThan(100 * MiB);
    await fill('b', 20);
    expect((await fake.fs.stat(join(root, 'root/a')))?.size).toBe(50 * MiB);
    await rt.stop(CTID, { fast: true });
    await expectNothingLeft();
    await rt.destroy(CTID);
    expect(await fake.fs.exists(priv)).toBe(false);
    await expectNothingLeft();
  });

  it('a shrink of a running VE is refused with the reason; saved, it happens offline at the next start if the files fit', async () => {
    await create({ DISKSPACE: '100M' });
    await rt.start(CTID);
    await fill('a', 10);
    const e = await rt.set(CTID, [{ key: 'DISKSPACE', value: '40M' }]).catch((x: unknown) => x);
    expect(isVzError(e) && e.exit).toBe(62);
    expect((e as Error).message).toMatch(/^CT 101: DISKSPACE 40960:40960: an ext4 image cannot shrink while it is mounted$/);
    expect((await statfsKb(root)).size).toBe(102400);
    await rt.stop(CTID, { fast: true });
    await rt.set(CTID, [{ key: 'DISKSPACE', value: '40M' }], { save: true });
    await rt.start(CTID);
    expect((await statfsKb(root)).size).toBe(40960);
    expect((await fake.fs.stat(join(root, 'root/a')))?.size).toBe(10 * MiB);
    // Smaller than the files: the VE still starts, on its old size, and says why.
    await fill('b', 25);
    await rt.stop(CTID, { fast: true });
    await rt.set(CTID, [{ key: 'DISKSPACE', value: '20M' }], { save: true });
    await rt.start(CTID);
    expect((await statfsKb(root)).size).toBe(40960);
    expect(warnings.join('\n')).toMatch(/the disk image keeps its 40960 KiB/);
  });

  it('without CAP_SYS_RESOURCE the image gets room and reserved blocks hold the limit; raising it moves the reserve', async () => {
    setup({}, true);
    await create({ DISKSPACE: '50M:60M' });
    expect((await record())['mode']).toBe('room');
    expect(warnings.join('\n')).toMatch(/lacks CAP_SYS_RESOURCE/);
    await rt.start(CTID);
    const df = await statfsKb(root);
    expect(df.size).toBeGreaterThan(1024 * 1024);
    // What can be written is the limit less ext4's own 2 % reserve, as on an exact image.
    expect(df.avail).toBeLessThanOrEqual(61440);
    expect(df.avail).toBeGreaterThan(0.97 * 61440);
    await expect(fill('a', 70)).rejects.toMatchObject({ code: 'ENOSPC' });
    await fill('a', 55);
    await rt.set(CTID, [{ key: 'DISKSPACE', value: '150M:160M' }]);
    await fill('b', 90);
    expect((await fake.fs.stat(join(root, 'root/a')))?.size).toBe(55 * MiB);
    // Beyond the room, growing online needs the capability: refused, nothing changes.
    const e = await rt.set(CTID, [{ key: 'DISKSPACE', value: '10G' }]).catch((x: unknown) => x);
    expect((e as Error).message).toMatch(/beyond the \d+ MiB the image has room for, and growing it online needs CAP_SYS_RESOURCE/);
    await expect(fill('c', 20)).rejects.toMatchObject({ code: 'ENOSPC' });
  });

  it('an exact image cannot grow online without CAP_SYS_RESOURCE: refused (exit 62), nothing changed', async () => {
    await create({ DISKSPACE: '60M' });
    await rt.start(CTID);
    fake.dropCallerCaps(24);
    const e = await rt.set(CTID, [{ key: 'DISKSPACE', value: '100M' }], { save: true }).catch((x: unknown) => x);
    expect(isVzError(e) && e.exit).toBe(62);
    expect((e as Error).message).toMatch(/growing the image online needs CAP_SYS_RESOURCE/);
    expect((await statfsKb(root)).size).toBe(61440);
    expect((await rt.config(CTID)).raw('DISKSPACE')).toBe('60M');
  });

  it('DISKINODES cannot change on a mounted image: its inode count was fixed by mkfs', async () => {
    await create({ DISKSPACE: '60M', DISKINODES: '1000:1000' });
    await rt.start(CTID);
    const e = await rt.set(CTID, [{ key: 'DISKINODES', value: '5000' }]).catch((x: unknown) => x);
    expect(isVzError(e) && e.exit).toBe(62);
    expect((e as Error).message).toMatch(/DISKINODES 5000: the disk image holds 1008 inodes, fixed when it was made/);
  });

  it('a failed start (the root\'s mount) unmounts the image again; the loop device goes with it', async () => {
    await create({ DISKSPACE: '60M' });
    fake.failNext('mount', 'EIO', { path: root });
    await expect(rt.start(CTID)).rejects.toThrow();
    await expectNothingLeft();
    await rt.start(CTID);
    expect(fake.loopDevices()).toHaveLength(1);
  });

  it('a VE given DISKSPACE after create gets its disk at the next start, its files moved onto it', async () => {
    await create({});
    fake.fs.seed(join(priv, 'fs/etc/motd'), 'hello\n');
    await rt.set(CTID, [{ key: 'DISKSPACE', value: '50M:60M' }], { save: true });
    expect(fake.loopDevices()).toEqual([]);
    await rt.start(CTID);
    expect(await record()).toMatchObject({ backend: 'image' });
    expect(await fake.fs.readlink(join(priv, 'fs'))).toBe('disk/fs');
    expect(fake.fs.read(join(root, 'etc/motd'))).toBe('hello\n');
    expect((await statfsKb(root)).size).toBe(61440);
    await expect(fill('big', 70)).rejects.toMatchObject({ code: 'ENOSPC' });
    await rt.stop(CTID, { fast: true });
    await expectNothingLeft();
  });

  it('moves the files of a private area that has real layer directories onto the disk', async () => {
    await create({ DISKSPACE: '60M' });
    fake.fs.seed(join(priv, 'fs/etc/motd'), 'hello\n');
    await rt.mount(CTID);
    expect(await fake.fs.readlink(join(priv, 'fs'))).toBe('disk/fs');
    expect(fake.fs.read(join(priv, 'disk/fs/etc/motd'))).toBe('hello\n');
    expect(fake.fs.read(join(root, 'etc/motd'))).toBe('hello\n');
    expect(await fake.fs.exists(join(priv, 'fs.moved'))).toBe(false);
    await rt.umount(CTID);
  });
});

describe('backend choice', () => {
  /** The private areas' directory on a filesystem of its own (an image mounted there). */
  async function privateOn(fstype: string, data?: string): Promise<void> {
    const img = join(tmp, `${fstype}.img`);
    await fake.fs.mkdir(tmp, { recursive: true });
    await fake.fs.writeFile(img, '');
    await fake.fs.truncate(img, 1024 * MiB);
    fake.formatImage(img, fstype, { blockSize: 4096, blocks: 262144, files: fstype === 'btrfs' ? 0 : 65536 });
    await fake.fs.mkdir(paths.private, { recursive: true });
    await fake.mounts.mount({ source: img, target: paths.private, fstype, loop: true, ...(data ? { data } : {}) });
  }

  it('btrfs: the private area is a subvolume with a qgroup limit; quotas are turned on and that is said', async () => {
    await privateOn('btrfs');
    await create({ DISKSPACE: '50M:60M', DISKINODES: '100:100' });
    expect(await record()).toEqual({ backend: 'btrfs' });
    expect(tools.subvolumes.has(priv)).toBe(true);
    expect(tools.qgroupLimits.get(priv)).toBe(61440 * 1024);
    expect(warnings.join('\n')).toMatch(/btrfs quotas were off/);
    expect(warnings.join('\n')).toMatch(/DISKINODES is not enforced: the btrfs backend has no inode limit/);
    await rt.start(CTID);
    await fill('a', 3);
    const rows = await rt.stats(CTID);
    const space = rows.find((r) => r.resource === 'diskspace')!;
    expect(space).toMatchObject({ barrier: 51200, limit: 61440, status: 'enforced', extra: { backend: 'btrfs', soft: 'enforced' } });
    // The qgroup counts everything in the subvolume: the VE's 3 MiB and the quota record.
    expect(space.held).toBeGreaterThanOrEqual(3072);
    expect(space.held).toBeLessThan(3080);
    expect(rows.find((r) => r.resource === 'diskinodes')).toMatchObject({ status: 'unsupported' });
    await rt.set(CTID, [{ key: 'DISKSPACE', value: '200M' }]);
    expect(tools.qgroupLimits.get(priv)).toBe(200 * MiB);
    await rt.stop(CTID, { fast: true });
    await rt.destroy(CTID);
    expect(await fake.fs.exists(priv)).toBe(false);
  });

  it('ext4 mounted with prjquota: project id = CTID on the private area, setquota limits and the grace period', async () => {
    await privateOn('ext4', 'prjquota');
    await create({ DISKSPACE: '50M:60M', DISKINODES: '900:1000', QUOTATIME: '3600' });
    expect(await record()).toEqual({ backend: 'project', project: CTID });
    expect(tools.projects.get(priv)).toBe(CTID);
    expect(tools.projectLimits.get(CTID)).toEqual([51200, 61440, 900, 1000]);
    expect(tools.projectGrace).toEqual([3600, 3600]);
    await rt.start(CTID);
    await rt.set(CTID, [{ key: 'DISKSPACE', value: '70M:80M' }]);
    expect(tools.projectLimits.get(CTID)).toEqual([71680, 81920, 900, 1000]);
    expect(warnings.join('\n')).toMatch(/keeps CAP_SYS_RESOURCE and so passes its project quota/);
    await rt.stop(CTID, { fast: true });
    await rt.destroy(CTID);
    expect(tools.projectLimits.get(CTID)).toEqual([0, 0, 0, 0]);
  });

  it('project quota given after create: the files join the project at the next start; unlimited takes them out and drops the limits', async () => {
    await privateOn('ext4', 'prjquota');
    await create({});
    fake.fs.seed(join(priv, 'fs/etc/motd'), 'hello\n');
    await rt.set(CTID, [{ key: 'DISKSPACE', value: '50M:60M' }], { save: true });
    await rt.start(CTID);
    expect(await record()).toEqual({ backend: 'project', project: CTID });
    expect(tools.projects.get(priv)).toBe(CTID);
    expect(tools.projectLimits.get(CTID)).toEqual([51200, 61440, 0, 0]);
    await rt.stop(CTID, { fast: true });
    await rt.set(CTID, [{ key: 'DISKSPACE', value: 'unlimited' }], { save: true });
    await rt.start(CTID);
    expect(await fake.fs.exists(join(priv, 'quota.json'))).toBe(false);
    expect(tools.projects.get(priv)).toBe(0);
    expect(tools.projectLimits.get(CTID)).toEqual([0, 0, 0, 0]);
    expect(fake.fs.read(join(root, 'etc/motd'))).toBe('hello\n');
    await rt.stop(CTID, { fast: true });
  });

  it('btrfs: a quota taken away lifts the limit and leaves the subvolume; given again, the limit comes back; a plain directory gets an image', async () => {
    await privateOn('btrfs');
    await create({ DISKSPACE: '50M:60M' });
    await rt.set(CTID, [{ key: 'DISKSPACE', value: 'unlimited' }], { save: true });
    await rt.start(CTID);
    await rt.stop(CTID, { fast: true });
    expect(tools.qgroupLimits.has(priv)).toBe(false);
    expect(tools.subvolumes.has(priv)).toBe(true);
    await rt.set(CTID, [{ key: 'DISKSPACE', value: '70M' }], { save: true });
    await rt.start(CTID);
    expect(await record()).toEqual({ backend: 'btrfs' });
    expect(tools.qgroupLimits.get(priv)).toBe(70 * MiB);
    await rt.stop(CTID, { fast: true });
    const other = CTID + 1;
    await create({}, other);
    await rt.set(other, [{ key: 'DISKSPACE', value: '70M' }], { save: true });
    await rt.start(other);
    expect(JSON.parse(await fake.fs.readFile(join(paths.private, String(other), 'quota.json')))).toMatchObject({ backend: 'image' });
    await rt.stop(other, { fast: true });
  });

  it('QUOTA_BACKEND names a backend the host lacks: refused before anything is made', async () => {
    const e = await create({ DISKSPACE: '60M', QUOTA_BACKEND: 'btrfs' }).catch((x: unknown) => x);
    expect(isVzError(e) && e.code).toBe('UNSUPPORTED');
    expect((e as Error).message).toMatch(/QUOTA_BACKEND=btrfs: the private area is on ext4 at \/, not on btrfs/);
    expect(await fake.fs.exists(priv)).toBe(false);
  });
});

describe('second level (QUOTAUGIDLIMIT)', () => {
  it('is refused, naming the host, where the kernel has no quota support', async () => {
    const e = await create({ DISKSPACE: '60M', QUOTAUGIDLIMIT: '100' }).catch((x: unknown) => x);
    expect(isVzError(e) && e.exit).toBe(5);
    expect((e as Error).message).toMatch(/QUOTAUGIDLIMIT: user\/group quotas inside the VE are not supported by this host: the kernel has no quota_v2 module/);
  });

  it('with quota support: the image has the quota feature, is mounted usrquota,grpquota, and the VE sees it with its device', async () => {
    setup({ kernelConfig: { CONFIG_QUOTA: 'y', CONFIG_QFMT_V2: 'y' } });
    await create({ DISKSPACE: '60M', QUOTAUGIDLIMIT: '100' });
    expect(await record()).toEqual({ backend: 'image', mode: 'exact', ugid: true });
    expect(tools.images.get(image())!.features.has('quota')).toBe(true);
    const pid = await rt.start(CTID);
    expect(fake.hostMounts().find((m) => m.target === join(priv, 'disk'))?.options).toContain('usrquota,grpquota');
    // What the VE's quota tools look for: a mount line with the device and its quota options, and the device node.
    const inside = fake.process(pid)!.mounts.find((m) => m.target === UGID_MOUNT);
    expect(inside).toMatchObject({ source: '/dev/loop0', fstype: 'ext4' });
    expect(inside!.options).toMatch(/^ro,.*usrquota,grpquota/);
    expect(fake.fsOf(pid).statSync('/dev/loop0')).toMatchObject({ type: 'block' });
    expect(fake.fsOf(pid).readdirSync(UGID_MOUNT)).toEqual([]);
    // Turning it off waits for a restart.
    const r = await rt.set(CTID, [{ key: 'QUOTAUGIDLIMIT', value: '0' }], { save: true });
    expect(r.deferred).toEqual(['QUOTAUGIDLIMIT']);
    const again = await rt.restart(CTID, { fast: true });
    expect(fake.process(again)!.mounts.find((m) => m.target === UGID_MOUNT)).toBeUndefined();
    expect(fake.hostMounts().find((m) => m.target === join(priv, 'disk'))?.options).not.toContain('usrquota');
  });

  it('is refused on the btrfs backend, whose uids are the host\'s', async () => {
    setup({ kernelConfig: { CONFIG_QUOTA: 'y', CONFIG_QFMT_V2: 'y' } });
    const img = join(tmp, 'b.img');
    await fake.fs.writeFile(img, '');
    fake.formatImage(img, 'btrfs', { blockSize: 4096, blocks: 262144, files: 0 });
    await fake.fs.mkdir(paths.private, { recursive: true });
    await fake.mounts.mount({ source: img, target: paths.private, fstype: 'btrfs', loop: true });
    const e = await create({ DISKSPACE: '60M', QUOTAUGIDLIMIT: '10' }).catch((x: unknown) => x);
    expect((e as Error).message).toMatch(/not supported by the btrfs backend/);
  });
});

describe('vzquota and vzlist', () => {
  async function command(cmd: typeof vzquotaStat, ...argv: string[]): Promise<{ code: number; out: string[] }> {
    const out: string[] = [];
    const code = await cmd.run({ runtime: rt, out: (l) => out.push(l), err: (l) => out.push(l) }, argv);
    return { code, out };
  }

  it('stat shows the live usage of a mounted VE, refuses (exit 6) when its quota is off; show reads the stopped image', async () => {
    await create({ DISKSPACE: '50M:60M', DISKINODES: '2000:2000' });
    await expect(command(vzquotaStat, String(CTID))).rejects.toMatchObject({ exit: 6 });
    await rt.start(CTID);
    await fill('a', 55);
    const stat = await command(vzquotaStat, String(CTID));
    expect(stat.out[1]).toMatch(/^ {2}1k-blocks +5\d{4}\* +51200 +61440 +3days$/);
    expect(stat.out[2]).toMatch(/^ {5}inodes +\d+ +2000 +2000 +$/);
    expect(stat.out[3]).toBe('backend: ext4 image on a loop device');
    await rt.stop(CTID, { fast: true });
    const show = JSON.parse((await command(vzquotaShow, String(CTID), '-j')).out.join('\n')) as { diskspace: { usage: number } };
    expect(show.diskspace.usage).toBeGreaterThan(55 * 1024);
  });

  it('a VE without quota: vzquota says so (exit 11); vzlist shows its columns as -', async () => {
    await create({});
    await expect(command(vzquotaShow, String(CTID))).rejects.toMatchObject({ exit: 11 });
    const [row] = await rt.list({ ctids: [CTID], stats: new Set(['diskspace']) });
    const f = rt.listFields.find((x) => x.name === 'diskspace')!;
    expect(f.text!(row!)).toBe('-');
    expect(f.get(row!)).toEqual({ usage: null, softlimit: null, hardlimit: null });
  });

  it('vzlist: usage of a running VE, limits from the config', async () => {
    await create({ DISKSPACE: '50M:60M', DISKINODES: '1000:2000' });
    await rt.start(CTID);
    await fill('a', 5);
    const [row] = await rt.list({ ctids: [CTID], stats: new Set(['diskspace', 'diskinodes']) });
    const text = (name: string) => rt.listFields.find((x) => x.name === name)!.text!(row!);
    expect(Number(text('diskspace'))).toBeGreaterThanOrEqual(5120);
    expect([text('diskspace.s'), text('diskspace.h'), text('diskinodes.s'), text('diskinodes.h')]).toEqual(['51200', '61440', '1000', '2000']);
    expect(rt.listFields.find((x) => x.name === 'diskinodes.h')!.header).toBe('DINODES.H');
  });
});
