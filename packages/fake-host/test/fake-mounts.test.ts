import { describe, expect, it } from 'vitest';
import { FakeHost, errnoOf } from '../src/index.js';

const errno = (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => errnoOf(e));

function overlayHost() {
  const fake = new FakeHost();
  fake.fs.seed('/ve/lower/etc/os-release', 'NAME=busybox\n').seed('/ve/lower/etc/motd', 'hello\n')
    .seed('/ve/lower/bin/sh', 'ELF', { mode: 0o755 }).seed('/ve/lower2/opt/tool', 'tool')
    .seedDir('/ve/private/upper').seedDir('/ve/private/work').seedDir('/ve/root');
  return fake;
}

async function mountOverlay(fake: FakeHost, lower = '/ve/lower') {
  await fake.mounts.mount({ source: 'overlay', target: '/ve/root', fstype: 'overlay', data: `lowerdir=${lower},upperdir=upper,workdir=work`, cwd: '/ve/private' });
}

describe('FakeMounts: overlay', () => {
  it('reads from upper then lower, writes to upper (copy-up), deletes with whiteouts', async () => {
    const fake = overlayHost();
    await mountOverlay(fake, '/ve/lower:/ve/lower2');
    const { fs } = fake;
    expect(await fs.readdir('/ve/root')).toEqual(['bin', 'etc', 'opt']);
    expect(await fs.readFile('/ve/root/opt/tool')).toBe('tool');
    await fs.writeFile('/ve/root/etc/motd', 'changed\n', { append: true });
    expect(await fs.readFile('/ve/root/etc/motd')).toBe('hello\nchanged\n');
    expect(await fs.readFile('/ve/private/upper/etc/motd')).toBe('hello\nchanged\n');
    expect(await fs.readFile('/ve/lower/etc/motd')).toBe('hello\n');
    await fs.remove('/ve/root/etc/os-release');
    expect(await fs.exists('/ve/root/etc/os-release')).toBe(false);
    expect(await fs.exists('/ve/lower/etc/os-release')).toBe(true);
    await fs.chmod('/ve/root/bin/sh', 0o700);
    expect(fs.tree('/ve/private/upper')).toEqual(['bin/', 'bin/sh', 'etc/', 'etc/motd', 'etc/os-release c 0:0']);
    // Overlay creates its work directory; it has its own device.
    expect(fs.tree('/ve/private/work')).toEqual(['work/']);
    expect((await fs.stat('/ve/root'))?.dev).not.toBe((await fs.stat('/ve/private'))?.dev);
    expect((await fs.stat('/ve/root/bin/sh'))?.mode).toBe(0o700);
  });

  it('a directory re-created over a deleted lower one is opaque', async () => {
    const fake = overlayHost();
    await mountOverlay(fake);
    await fake.fs.remove('/ve/root/etc', { recursive: true });
    await fake.fs.mkdir('/ve/root/etc');
    expect(await fake.fs.readdir('/ve/root/etc')).toEqual([]);
    await fake.fs.writeFile('/ve/root/etc/new', 'n');
    expect(await fake.fs.readdir('/ve/root/etc')).toEqual(['new']);
  });

  it('renames copy up files and refuse lower directories (EXDEV, no redirect_dir)', async () => {
    const fake = overlayHost();
    await mountOverlay(fake);
    await fake.fs.rename('/ve/root/etc/motd', '/ve/root/motd');
    expect(await fake.fs.readFile('/ve/root/motd')).toBe('hello\n');
    expect(await fake.fs.exists('/ve/root/etc/motd')).toBe(false);
    expect(await errno(fake.fs.rename('/ve/root/etc', '/ve/root/etc2'))).toBe('EXDEV');
    await fake.fs.mkdir('/ve/root/new');
    await fake.fs.rename('/ve/root/new', '/ve/root/new2');
    expect(await fake.fs.readdir('/ve/private/upper')).toEqual(['etc', 'motd', 'new2']);
  });

  it('validates layers: missing dirs ENOENT, no lowerdir or workdir EINVAL, workdir on another mount EINVAL', async () => {
    const fake = overlayHost();
    const m = (data: string) => errno(fake.mounts.mount({ source: 'overlay', target: '/ve/root', fstype: 'overlay', data, cwd: '/ve/private' }));
    expect(await m('lowerdir=/missing,upperdir=upper,workdir=work')).toBe('ENOENT');
    expect(await m('lowerdir=/ve/lower,upperdir=missing,workdir=work')).toBe('ENOENT');
    expect(await m('upperdir=upper,workdir=work')).toBe('EINVAL');
    expect(await m('lowerdir=/ve/lower,upperdir=upper')).toBe('EINVAL');
    expect(await m('lowerdir=/ve/lower,upperdir=upper,workdir=/run')).toBe('EINVAL');
    expect(await m('lowerdir=/ve/lower,upperdir=/ve/private,workdir=work')).toBe('EINVAL');
    expect(fake.hostMounts().some((e) => e.target === '/ve/root')).toBe(false);
    // A read-only overlay (no upper) refuses writes.
    expect(await m('lowerdir=/ve/lower:/ve/lower2')).toBe('ok');
    expect(await errno(fake.fs.writeFile('/ve/root/x', ''))).toBe('EROFS');
  });
});

describe('FakeMounts: mount table', () => {
  it('checks targets, sources and types like mount(2)', async () => {
    const fake = new FakeHost();
    fake.fs.seedDir('/mnt/a').seed('/srv/file', 'x');
    const m = (spec: Parameters<FakeHost['mounts']['mount']>[0]) => errno(fake.mounts.mount(spec));
    expect(await m({ source: 'tmpfs', target: '/mnt/missing', fstype: 'tmpfs' })).toBe('ENOENT');
    expect(await m({ source: '/srv/missing', target: '/mnt/a', flags: ['bind'] })).toBe('ENOENT');
    expect(await m({ source: '/srv/file', target: '/mnt/a', flags: ['bind'] })).toBe('ENOTDIR');
    expect(await m({ source: 'x', target: '/mnt/a', fstype: 'nosuchfs' })).toBe('ENODEV');
    expect(await m({ source: '/srv/file', target: '/mnt/a', fstype: 'ext4' })).toBe('ENOTBLK');
    expect(await m({ source: 'none', target: '/mnt/a', flags: ['private'] })).toBe('EINVAL');
    const err = await fake.mounts.mount({ source: 'x', target: '/mnt/missing', fstype: 'tmpfs' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'MOUNT_FAILED', errno: 'ENOENT', path: '/mnt/missing' });
  });

  it('umount: EINVAL off a mount point, EBUSY with submounts unless detach or recursive', async () => {
    const fake = new FakeHost();
    fake.fs.seedDir('/mnt/a');
    await fake.mounts.mount({ source: 'tmpfs', target: '/mnt/a', fstype: 'tmpfs' });
    await fake.fs.mkdir('/mnt/a/b');
    await fake.mounts.mount({ source: 'tmpfs', target: '/mnt/a/b', fstype: 'tmpfs' });
    expect(await fake.mounts.isMountPoint('/mnt/a/b')).toBe(true);
    expect(await fake.mounts.isMountPoint('/mnt')).toBe(false);
    expect(await errno(fake.mounts.umount('/mnt'))).toBe('EINVAL');
    expect(await errno(fake.mounts.umount('/mnt/nope'))).toBe('ENOENT');
    expect(await errno(fake.mounts.umount('/mnt/a'))).toBe('EBUSY');
    const err = await fake.mounts.umount('/mnt/a').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'UMOUNT_FAILED', errno: 'EBUSY', path: '/mnt/a' });
    await fake.mounts.umount('/mnt/a', { recursive: true });
    expect((await fake.mounts.list()).filter((e) => e.target.startsWith('/mnt'))).toEqual([]);
  });

  it('stacks mounts, hides what is below, recursive binds copy submounts', async () => {
    const fake = new FakeHost();
    fake.fs.seed('/src/f', 'src').seedDir('/src/sub').seedDir('/dst');
    await fake.mounts.mount({ source: 'tmpfs', target: '/src/sub', fstype: 'tmpfs' });
    await fake.fs.writeFile('/src/sub/t', 'on tmpfs');
    await fake.mounts.mount({ source: '/src', target: '/dst', flags: ['bind', 'rec'] });
    expect(await fake.fs.readFile('/dst/sub/t')).toBe('on tmpfs');
    const list = await fake.mounts.list();
    const dst = list.find((e) => e.target === '/dst')!;
    expect(list.find((e) => e.target === '/dst/sub')).toMatchObject({ parent: dst.id, fstype: 'tmpfs' });
    // A second mount on the same point hides the first until it is unmounted.
    await fake.mounts.mount({ source: 'tmpfs', target: '/dst', fstype: 'tmpfs' });
    expect(await fake.fs.readdir('/dst')).toEqual([]);
    await fake.mounts.umount('/dst');
    expect(await fake.fs.readdir('/dst')).toEqual(['f', 'sub']);
  });

  it('a block device keeps its filesystem between mounts', async () => {
    const fake = new FakeHost();
    fake.fs.seedDir('/mnt/disk');
    await fake.mounts.mount({ source: '/dev/loop0', target: '/mnt/disk', fstype: 'ext4' });
    await fake.fs.writeFile('/mnt/disk/f', 'persisted');
    expect(fake.hostMounts().at(-1)).toMatchObject({ source: '/dev/loop0', fstype: 'ext4', target: '/mnt/disk' });
    await fake.mounts.umount('/mnt/disk');
    expect(await fake.fs.exists('/mnt/disk/f')).toBe(false);
    await fake.mounts.mount({ source: '/dev/loop0', target: '/mnt/disk', fstype: 'ext4' });
    expect(await fake.fs.readFile('/mnt/disk/f')).toBe('persisted');
  });

  it('failNext(mount) fails the next mount with the errno', async () => {
    const fake = new FakeHost();
    fake.fs.seedDir('/mnt/a');
    fake.failNext('mount', 'EPERM');
    expect(await errno(fake.mounts.mount({ source: 'tmpfs', target: '/mnt/a', fstype: 'tmpfs' }))).toBe('EPERM');
    expect(await errno(fake.mounts.mount({ source: 'tmpfs', target: '/mnt/a', fstype: 'tmpfs' }))).toBe('ok');
  });
});
