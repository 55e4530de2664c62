/**
 * Disk quota on a kernel with quota support: Debian's 6.1 in the QEMU guest of
 * scripts/vm (this project's hosts lack CONFIG_QFMT_V2, and their vzctl lacks
 * CAP_SYS_RESOURCE); skipped anywhere else. Real VEs (busybox template, ns-fs, ns-pid,
 * caps) with:
 * - the project-quota backend on an ext4 mounted with prjquota: soft limit + grace and
 *   inode limits enforced by the kernel, df inside, a live raise;
 * - the image backend sized exactly (df shows the hard limit) and grown online by
 *   resize2fs, which the guest's root may do;
 * - the second level: setquota and quota inside the VE on its own image;
 * - a quota given after create and taken away (project), and the image's soft limit
 *   held past QUOTATIME in exact mode.
 * Quota holds no one with CAP_SYS_RESOURCE, so writes that must be refused run as
 * `nobody` in the VE, or as its root with the capability dropped.
 */
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRuntime, resolvePaths, type ExecResult, type Runtime } from '@vzkit/core';
import { capsPlugin } from '@vzkit/caps';
import { linuxHost, unifiedHost } from '@vzkit/linux/testing';
import { nsFsPlugin } from '@vzkit/ns-fs';
import { nsPidPlugin } from '@vzkit/ns-pid';
import { templatePlugin } from '@vzkit/template';
import { quotaPlugin } from '../src/index.js';

/** The guest: unified cgroups from the root cgroup, and the kernel's quota format loaded. */
const inGuest = unifiedHost() && existsSync('/sys/module/quota_v2');

let dir: string;
let rt: Runtime;
let warnings: string[];
const mounted: string[] = [];
let ctid = 0;

beforeEach(async () => {
  if (!inGuest) return;
  dir = await mkdtemp(join(tmpdir(), 'vzkit-quota-vm-'));
  warnings = [];
  rt = createRuntime({
    host: await linuxHost(),
    plugins: [templatePlugin, quotaPlugin, nsFsPlugin, nsPidPlugin, capsPlugin],
    paths: resolvePaths(dir),
    cgroupParent: `@self/vzkit-quota-${process.pid}`,
    log: { info() {}, debug() {}, warn: (m) => warnings.push(m) },
  });
  ctid = 100_000 + Math.floor(Math.random() * 1_000_000);
});

afterEach(async () => {
  if (!inGuest) return;
  for (const id of await rt.ctids()) {
    if ((await rt.status(id)).running) await rt.stop(id, { fast: true });
    await rt.destroy(id);
  }
  for (const m of mounted.splice(0).reverse()) execFileSync('umount', [m]);
  await rm(dir, { recursive: true, force: true });
  // Nothing of ours stays attached.
  expect(execFileSync('losetup', ['-a']).toString()).not.toContain(dir);
});

async function create(values: Record<string, string>): Promise<number> {
  await rt.create(ctid, { ostemplate: 'busybox', values: new Map(Object.entries(values)) });
  return ctid;
}

const sh = (id: number, line: string): Promise<ExecResult> => rt.exec(id, { argv: ['/bin/sh', '-c', line], stdio: 'pipe', timeoutMs: 60_000 });
/** As `nobody`: quota holds users without CAP_SYS_RESOURCE only. */
const asNobody = (id: number, line: string) => sh(id, `mkdir -p /data && chmod 1777 /data && su -s /bin/sh nobody -c '${line}'`);

async function df(id: number, flag = '-k'): Promise<{ size: number; used: number; avail: number }> {
  const cols = (await sh(id, `df ${flag} /`)).stdout!.trim().split('\n').pop()!.split(/\s+/);
  return { size: Number(cols[1]), used: Number(cols[2]), avail: Number(cols[3]) };
}

/** An ext4 with project (and user/group) quota at the private areas' directory. */
async function prjquotaPrivate(): Promise<void> {
  const img = join(dir, 'host-disk.img');
  execFileSync('truncate', ['-s', '256M', img]);
  execFileSync('mkfs.ext4', ['-q', '-F', '-I', '256', '-O', 'quota,project', '-E', 'quotatype=usrquota:grpquota:prjquota', img]);
  const at = join(dir, 'var/lib/vzkit/private');
  await mkdir(at, { recursive: true });
  execFileSync('mount', ['-o', 'loop,prjquota', img, at]);
  mounted.push(at);
}

describe.skipIf(!inGuest)('project quota (ext4 prjquota, guest kernel)', () => {
  it('holds hard limits, turns soft into hard after the grace period, limits inodes, shows them in df, raises live', async () => {
    await prjquotaPrivate();
    const id = await create({ DISKSPACE: '20M:30M', DISKINODES: '400:500', QUOTATIME: '3' });
    expect(JSON.parse(await readFile(join(dir, 'var/lib/vzkit/private', String(id), 'quota.json'), 'utf8'))).toEqual({ backend: 'project', project: id });
    await rt.start(id);
    expect(warnings.join('\n')).toMatch(/keeps CAP_SYS_RESOURCE and so passes its project quota/);
    // df inside: ext4 reports the project's soft limit as the size when one is set.
    expect((await df(id)).size).toBe(20480);
    expect((await df(id, '-i')).size).toBe(400);

    // Past soft, within hard: allowed while the grace lasts.
    expect((await asNobody(id, 'dd if=/dev/zero of=/data/a bs=1M count=25 2>&1')).code).toBe(0);
    const row = (await rt.stats(id)).find((r) => r.resource === 'diskspace')!;
    expect(row).toMatchObject({ barrier: 20480, limit: 30720, status: 'enforced', extra: { backend: 'project', soft: 'enforced' } });
    expect(row.held).toBeGreaterThan(25 * 1024);
    expect(row.extra!['graceEnds']).toBeGreaterThan(Date.now() / 1000 - 5);
    await sleep(4000);
    // Grace over: the soft limit holds as the hard one.
    const late = await asNobody(id, 'dd if=/dev/zero of=/data/b bs=1M count=1 2>&1');
    expect(late.code).not.toBe(0);
    expect(late.stdout).toMatch(/Disk quota exceeded/);

    // Raised live: the write goes through.
    await rt.set(id, [{ key: 'DISKSPACE', value: '100M:120M' }, { key: 'DISKINODES', value: '5000:6000' }]);
    expect((await asNobody(id, 'dd if=/dev/zero of=/data/b bs=1M count=40 2>&1')).code).toBe(0);
    expect((await df(id)).size).toBe(102400);

    // Inodes: files stop at the hard limit.
    await rt.set(id, [{ key: 'DISKINODES', value: '200:300' }]);
    const files = await asNobody(id, 'i=0; while touch /data/f$i 2>/dev/null; do i=$((i+1)); done; echo $i');
    expect(Number(files.stdout!.trim())).toBeLessThanOrEqual(300);
    expect(Number(files.stdout!.trim())).toBeGreaterThan(250);
  });

  it('holds the VE\'s root too once CAP_SYS_RESOURCE is dropped', async () => {
    await prjquotaPrivate();
    const id = await create({ DISKSPACE: '10M:10M', CAPABILITY: 'sys_resource:off' });
    await rt.start(id);
    expect(warnings.join('\n')).not.toMatch(/keeps CAP_SYS_RESOURCE/);
    const r = await sh(id, 'dd if=/dev/zero of=/root/big bs=1M count=30 2>&1');
    expect(r.code).not.toBe(0);
    expect(r.stdout).toMatch(/Disk quota exceeded/);
  });
});

describe.skipIf(!inGuest)('a quota given after create, and taken away (guest kernel)', () => {
  const record = (id: number) => readFile(join(dir, 'var/lib/vzkit/private', String(id), 'quota.json'), 'utf8').then((t) => JSON.parse(t) as Record<string, unknown>, () => undefined);

  it('project quota: the VE\'s files join its project at the next start and count; unlimited takes them out again', async () => {
    await prjquotaPrivate();
    const id = await create({ CAPABILITY: 'sys_resource:off' });
    await rt.start(id);
    // A whiteout (0:0 character device) and a FIFO: files whose flags chattr cannot read.
    expect((await sh(id, 'mkdir /data && echo hi > /data/a && ln -s a /data/l && mkfifo /data/fifo && rm /etc/shells && dd if=/dev/zero of=/data/big bs=1M count=6 2>&1')).code).toBe(0);
    await rt.stop(id, { fast: true });
    await rt.set(id, [{ key: 'DISKSPACE', value: '10M:10M' }], { save: true });
    await rt.start(id);
    expect(await record(id)).toEqual({ backend: 'project', project: id });
    // The 6 MiB written before count: 6 more do not fit.
    const more = await sh(id, 'dd if=/dev/zero of=/root/more bs=1M count=6 2>&1');
    expect(more.code).not.toBe(0);
    expect(more.stdout).toMatch(/Disk quota exceeded/);
    const upper = join(dir, 'var/lib/vzkit/private', String(id), 'fs');
    expect(execFileSync('lsattr', ['-p', '-d', join(upper, 'data/a')]).toString()).toMatch(new RegExp(`^\\s*${id}\\s`));
    await rt.stop(id, { fast: true });
    await rt.set(id, [{ key: 'DISKSPACE', value: 'unlimited' }], { save: true });
    await rt.start(id);
    expect(await record(id)).toBeUndefined();
    expect(execFileSync('lsattr', ['-p', '-d', join(upper, 'data/a')]).toString()).toMatch(/^\s*0\s/);
    expect((await sh(id, 'rm -f /root/more; dd if=/dev/zero of=/root/more bs=1M count=20 2>&1')).code).toBe(0);
    expect((await sh(id, 'cat /data/a')).stdout).toBe('hi\n');
  });

  it('image, exact: the files move onto an image sized to the limit; past QUOTATIME the soft limit holds as the hard one', async () => {
    const id = await create({});
    await rt.start(id);
    expect((await sh(id, 'echo hi > /root/a')).code).toBe(0);
    await rt.stop(id, { fast: true });
    await rt.set(id, [{ key: 'DISKSPACE', value: '10M:20M' }, { key: 'QUOTATIME', value: '0' }], { save: true });
    await rt.start(id);
    expect(await record(id)).toMatchObject({ backend: 'image', mode: 'exact' });
    expect((await df(id)).size).toBe(20480);
    expect((await sh(id, 'cat /root/a')).stdout).toBe('hi\n');
    expect((await sh(id, 'dd if=/dev/zero of=/root/big bs=1M count=12 2>&1 && sync')).code).toBe(0);
    // QUOTATIME 0: the first look past the soft limit holds it.
    expect((await rt.stats(id)).find((r) => r.resource === 'diskspace')!.extra).toMatchObject({ held: 'soft' });
    const refused = await sh(id, 'dd if=/dev/zero of=/root/more bs=1M count=1 2>&1 && sync');
    expect(refused.code).not.toBe(0);
    expect(refused.stdout).toMatch(/No space left on device/);
    expect((await df(id)).size).toBe(20480);
    expect((await sh(id, 'rm /root/big /root/more; sync')).code).toBe(0);
    expect((await rt.stats(id)).find((r) => r.resource === 'diskspace')!.extra?.['held']).toBeUndefined();
    expect((await sh(id, 'dd if=/dev/zero of=/root/big bs=1M count=15 2>&1 && sync')).code).toBe(0);
  });
});

describe.skipIf(!inGuest)('image backend sized exactly, grown online (guest root has CAP_SYS_RESOURCE)', () => {
  it('df inside shows the hard limit; a live raise grows the mounted image with resize2fs', async () => {
    const id = await create({ DISKSPACE: '20M:24M' });
    expect(JSON.parse(await readFile(join(dir, 'var/lib/vzkit/private', String(id), 'quota.json'), 'utf8'))).toMatchObject({ backend: 'image', mode: 'exact' });
    await rt.start(id);
    expect((await df(id)).size).toBe(24576);
    const full = await sh(id, 'dd if=/dev/zero of=/root/big bs=1M count=40 2>&1');
    expect(full.stdout).toMatch(/No space left on device/);
    await rt.set(id, [{ key: 'DISKSPACE', value: '60M:64M' }]);
    expect((await df(id)).size).toBe(65536);
    expect((await sh(id, 'dd if=/dev/zero of=/root/big bs=1M count=40 2>&1')).code).toBe(0);
  });
});

/** Copies a host program and the libraries it loads into the VE's root (the busybox template has no quota tools). */
async function installInVe(root: string, program: string): Promise<void> {
  const libs = execFileSync('ldd', [program]).toString().matchAll(/(\/\S+)\s+\(0x/g);
  for (const path of [program, ...[...libs].map((m) => m[1]!)]) {
    await mkdir(join(root, dirname(path)), { recursive: true });
    await copyFile(path, join(root, path));
  }
}

describe.skipIf(!inGuest)('second level: user/group quotas inside the VE (QUOTAUGIDLIMIT)', () => {
  it('setquota inside limits a user of the VE; quota reports it', async () => {
    const id = await create({ DISKSPACE: '100M', QUOTAUGIDLIMIT: '100' });
    await rt.start(id);
    const root = join(dir, 'var/lib/vzkit/root', String(id));
    for (const p of ['/usr/sbin/setquota', '/usr/bin/quota', '/usr/sbin/repquota']) await installInVe(root, p);
    // The VE's tools find its disk in /proc/mounts, by its device: give them -a, the device or /dev/.vzquota
    // (`/` itself is the overlay, whose device is not the disk's).
    const line = (await sh(id, 'grep " /dev/.vzquota " /proc/mounts')).stdout!;
    const device = line.split(' ')[0]!;
    expect(line).toMatch(/^\/dev\/loop\d+ \/dev\/.vzquota ext4 ro,.*usrquota,grpquota/);
    const set = await sh(id, `setquota -u nobody 1024 2048 0 0 ${device} 2>&1`);
    expect(set.code, set.stdout).toBe(0);
    expect((await sh(id, 'setquota -g nogroup 0 0 10 20 -a 2>&1')).code).toBe(0);
    const w = await asNobody(id, 'dd if=/dev/zero of=/data/u bs=1M count=10 2>&1');
    expect(w.code).not.toBe(0);
    expect(w.stdout).toMatch(/Disk quota exceeded/);
    const q = await sh(id, 'quota -u nobody 2>&1');
    expect(q.stdout).toMatch(/\/dev\/loop\d+\s+2048\*?\s+1024\s+2048/);
    expect((await sh(id, 'repquota -g -a 2>&1')).stdout).toMatch(/^nogroup\s+--\s+\d+\s+0\s+0\s+\d+\s+10\s+20/m);
    // Root of the VE is still free to write up to the first level.
    expect((await sh(id, 'dd if=/dev/zero of=/root/r bs=1M count=20 2>&1')).code).toBe(0);
  });
});
