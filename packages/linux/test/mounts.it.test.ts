import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isVzError, type VzError } from '@vzkit/core';
import { LinuxHostFs } from '../src/fs.js';
import { isUnder, LinuxMountService } from '../src/mounts.js';

const mounts = new LinuxMountService();
const fs = new LinuxHostFs();
let dir: string;

async function rejection(p: Promise<unknown>): Promise<VzError> {
  try {
    await p;
  } catch (e) {
    if (isVzError(e)) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

async function mountedUnder(path: string) {
  return (await mounts.list()).filter((m) => isUnder(m.target, path));
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vzkit-mounts-'));
});

afterEach(async () => {
  // Whatever a test left mounted goes first (lazily, deepest first), then the files.
  if ((await mountedUnder(dir)).length) await mounts.umount(dir, { recursive: true, detach: true });
  expect(await mountedUnder(dir)).toEqual([]);
  await rm(dir, { recursive: true, force: true });
});

describe('LinuxMountService', () => {
  it('mounts, lists and recursively unmounts a stack of mounts', async () => {
    const a = join(dir, 'a');
    await mkdir(a);
    await mounts.mount({ source: 'vzkit-test', target: a, fstype: 'tmpfs', flags: ['nosuid', 'nodev'], data: 'size=1m' });
    await mkdir(join(a, 'b'));
    await mounts.mount({ source: 'vzkit-inner', target: join(a, 'b'), fstype: 'tmpfs' });

    expect(await mounts.isMountPoint(a)).toBe(true);
    expect(await mounts.isMountPoint(dir)).toBe(false);
    const listed = await mountedUnder(dir);
    expect(listed.map((m) => [m.target, m.fstype, m.source])).toEqual([
      [a, 'tmpfs', 'vzkit-test'],
      [join(a, 'b'), 'tmpfs', 'vzkit-inner'],
    ]);
    expect(listed[0]!.options).toMatch(/nosuid,nodev/);
    expect(listed[0]!.options).toMatch(/size=1024k/);

    await mounts.umount(a, { recursive: true });
    expect(await mountedUnder(dir)).toEqual([]);
  });

  it('makes a bind mount read-only with the remount the kernel needs', async () => {
    const src = join(dir, 'src');
    const dst = join(dir, 'dst');
    await mkdir(src);
    await mkdir(dst);
    await writeFile(join(src, 'f'), 'x');
    await mounts.mount({ source: src, target: dst, flags: ['bind', 'rdonly'] });
    expect(await readFile(join(dst, 'f'), 'utf8')).toBe('x');
    await expect(writeFile(join(dst, 'g'), 'y')).rejects.toMatchObject({ code: 'EROFS' });
    await mounts.umount(dst);
  });

  it('resolves relative overlay paths from cwd and restores the working directory', async () => {
    for (const d of ['lower', 'upper', 'work', 'merged']) await mkdir(join(dir, d));
    await writeFile(join(dir, 'lower', 'from-lower'), 'l');
    const before = process.cwd();
    await mounts.mount({ source: 'overlay', target: join(dir, 'merged'), fstype: 'overlay', data: 'lowerdir=lower,upperdir=upper,workdir=work', cwd: dir });
    expect(process.cwd()).toBe(before);
    expect(await readFile(join(dir, 'merged', 'from-lower'), 'utf8')).toBe('l');
    const entry = (await mountedUnder(dir))[0]!;
    expect(entry.options).toContain('lowerdir=lower');
    expect(entry.options).not.toContain(dir);
  });

  it('restores the working directory when the mount fails, and names errno and path', async () => {
    const before = process.cwd();
    const err = await rejection(mounts.mount({ source: 'overlay', target: join(dir, 'nope'), fstype: 'overlay', data: 'lowerdir=x', cwd: dir }));
    expect(process.cwd()).toBe(before);
    expect(err.code).toBe('MOUNT_FAILED');
    expect(err.errno).toBe('ENOENT');
    expect(err.path).toBe(join(dir, 'nope'));
  });

  it('fails to unmount what is not mounted', async () => {
    const err = await rejection(mounts.umount(dir));
    expect(err.code).toBe('UMOUNT_FAILED');
    expect(err.errno).toBe('EINVAL');
    expect((await rejection(mounts.umount(dir, { recursive: true }))).errno).toBe('EINVAL');
  });
});

describe('LinuxHostFs.remove', () => {
  it('refuses to delete into a mount point and deletes nothing below it', async () => {
    const tree = join(dir, 'tree');
    const mnt = join(tree, 'deep', 'mnt');
    await mkdir(mnt, { recursive: true });
    await writeFile(join(tree, 'keep'), 'k');
    await mounts.mount({ source: 'vzkit-test', target: mnt, fstype: 'tmpfs' });
    await writeFile(join(mnt, 'precious'), 'p');

    const err = await rejection(fs.remove(tree, { recursive: true }));
    expect(err.errno).toBe('EBUSY');
    expect(err.path).toBe(mnt);
    expect(err.message).toContain(mnt);
    expect(await readFile(join(mnt, 'precious'), 'utf8')).toBe('p');
    expect(await fs.exists(join(tree, 'keep'))).toBe(true);

    await mounts.umount(mnt);
    await fs.remove(tree, { recursive: true });
    expect(await fs.exists(tree)).toBe(false);
  });

  it('treats a mount point at the top like one below', async () => {
    const mnt = join(dir, 'm');
    await mkdir(mnt);
    await mounts.mount({ source: 'vzkit-test', target: mnt, fstype: 'tmpfs' });
    expect((await rejection(fs.remove(mnt, { recursive: true }))).errno).toBe('EBUSY');
  });

  it('is rm -f for a missing path and refuses a non-empty directory without recursive', async () => {
    await fs.remove(join(dir, 'missing'), { recursive: true });
    await mkdir(join(dir, 'full'));
    await writeFile(join(dir, 'full', 'f'), '');
    expect((await rejection(fs.remove(join(dir, 'full')))).errno).toBe('ENOTEMPTY');
  });
});
