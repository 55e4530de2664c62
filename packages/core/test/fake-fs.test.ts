import { describe, expect, it } from 'vitest';
import { FakeHost } from '../src/testing/index.js';

const fail = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as NodeJS.ErrnoException);

describe('FakeFs: files with the kernel errors node:fs reports', () => {
  it('creates, reads, appends and lists', async () => {
    const { fs } = new FakeHost();
    await fs.mkdir('/srv/a/b', { recursive: true });
    await fs.writeFile('/srv/a/b/f', 'one\n', { mode: 0o600 });
    await fs.writeFile('/srv/a/b/f', 'two\n', { append: true });
    expect(await fs.readFile('/srv/a/b/f')).toBe('one\ntwo\n');
    expect(await fs.stat('/srv/a/b/f')).toMatchObject({ type: 'file', mode: 0o600, size: 8, dev: (254 << 8) | 1 });
    expect(await fs.readdir('/srv/a')).toEqual(['b']);
    await fs.symlink('b/f', '/srv/a/link');
    expect(await fs.readlink('/srv/a/link')).toBe('b/f');
    expect(await fs.readFile('/srv/a/link')).toBe('one\ntwo\n');
    expect((await fs.stat('/srv/a/link'))?.type).toBe('symlink');
    await fs.copyFile('/srv/a/b/f', '/srv/copy', { mode: 0o755 });
    expect(await fs.stat('/srv/copy')).toMatchObject({ mode: 0o755, size: 8 });
    await fs.rename('/srv/copy', '/srv/a/moved');
    await fs.chmod('/srv/a/moved', 0o700);
    expect(fs.tree('/srv')).toEqual(['a/', 'a/b/', 'a/b/f', 'a/link -> b/f', 'a/moved']);
  });

  it('fails with ENOENT, EEXIST, ENOTDIR, ENOTEMPTY, EISDIR, EINVAL like node:fs', async () => {
    const { fs } = new FakeHost();
    fs.seed('/srv/file', 'x');
    expect(await fail(fs.mkdir('/srv/no/dir'))).toMatchObject({ code: 'ENOENT', syscall: 'mkdir', path: '/srv/no/dir', errno: -2 });
    expect((await fail(fs.mkdir('/srv/no/dir')))?.message).toBe("ENOENT: no such file or directory, mkdir '/srv/no/dir'");
    expect(await fail(fs.mkdir('/srv/file'))).toMatchObject({ code: 'EEXIST' });
    expect(await fail(fs.mkdir('/srv/file', { recursive: true }))).toMatchObject({ code: 'EEXIST' });
    expect(await fail(fs.mkdir('/srv/file/sub', { recursive: true }))).toMatchObject({ code: 'ENOTDIR' });
    expect(await fail(fs.writeFile('/srv/file/x', ''))).toMatchObject({ code: 'ENOTDIR' });
    expect(await fail(fs.readFile('/srv'))).toMatchObject({ code: 'EISDIR' });
    expect(await fail(fs.writeFile('/srv', 'x'))).toMatchObject({ code: 'EISDIR' });
    expect(await fail(fs.readdir('/srv/file'))).toMatchObject({ code: 'ENOTDIR' });
    expect(await fail(fs.readlink('/srv/file'))).toMatchObject({ code: 'EINVAL' });
    expect(await fail(fs.symlink('x', '/srv/file'))).toMatchObject({ code: 'EEXIST' });
    expect(await fail(fs.remove('/srv'))).toMatchObject({ code: 'ENOTEMPTY' });
    expect(await fail(fs.remove('/srv/missing'))).toMatchObject({ code: 'ENOENT' });
    expect(await fail(fs.rename('/srv', '/srv/inside'))).toMatchObject({ code: 'EINVAL', dest: '/srv/inside' });
    expect(await fs.stat('/srv/missing')).toBeUndefined();
    expect(await fs.exists('/srv/file/x')).toBe(false);
    fs.seedLink('/loop/a', 'b').seedLink('/loop/b', 'a');
    expect(await fail(fs.readFile('/loop/a'))).toMatchObject({ code: 'ELOOP' });
  });

  it('remove({recursive}) refuses to cross a mount point, naming it, and deletes nothing', async () => {
    const fake = new FakeHost();
    const { fs } = fake;
    fs.seed('/data/ve/private/file', 'keep').seedDir('/data/ve/root').seedDir('/data/other');
    await fake.mounts.mount({ source: '/data/ve/private', target: '/data/ve/root', flags: ['bind'] });
    expect((await fs.stat('/data/ve/root'))?.dev).toBe((await fs.stat('/data'))?.dev);
    const err = await fail(fs.remove('/data', { recursive: true }));
    expect(err).toMatchObject({ code: 'EBUSY', path: '/data/ve/root' });
    expect(err?.message).toBe("EBUSY: resource busy or locked, rm '/data/ve/root'");
    expect(fs.tree('/data')).toEqual(['other/', 've/', 've/private/', 've/private/file', 've/root/', 've/root/file']);
    expect(await fail(fs.remove('/data/ve/root', { recursive: true }))).toMatchObject({ code: 'EBUSY', path: '/data/ve/root' });
    expect(await fail(fs.rename('/data/ve/root', '/data/x'))).toMatchObject({ code: 'EBUSY' });
    await fake.mounts.umount('/data/ve/root');
    await fs.remove('/data', { recursive: true });
    expect(await fs.exists('/data')).toBe(false);
  });

  it('each mounted filesystem has its own device; rename across mounts is EXDEV', async () => {
    const fake = new FakeHost();
    fake.fs.seedDir('/mnt/t').seed('/srv/f', 'x');
    await fake.mounts.mount({ source: 'tmpfs', target: '/mnt/t', fstype: 'tmpfs', data: 'size=1m' });
    const devs = new Set([(await fake.fs.stat('/mnt/t'))?.dev, (await fake.fs.stat('/srv'))?.dev, (await fake.fs.stat('/proc'))?.dev]);
    expect(devs.size).toBe(3);
    expect(await fail(fake.fs.rename('/srv/f', '/mnt/t/f'))).toMatchObject({ code: 'EXDEV', path: '/srv/f', dest: '/mnt/t/f' });
    await fake.fs.writeFile('/mnt/t/f', 'on tmpfs');
    await fake.mounts.umount('/mnt/t');
    expect(await fake.fs.readdir('/mnt/t')).toEqual([]);
  });

  it('a read-only mount is EROFS for writes, creates and removes', async () => {
    const fake = new FakeHost();
    fake.fs.seed('/ro-src/f', 'x').seedDir('/ro');
    // As in the kernel, rdonly on the first bind is ignored: it takes a bind remount.
    await fake.mounts.mount({ source: '/ro-src', target: '/ro', flags: ['bind', 'rdonly'] });
    await fake.fs.writeFile('/ro/g', 'still writable');
    await fake.mounts.mount({ source: '', target: '/ro', flags: ['bind', 'remount', 'rdonly'] });
    expect(fake.hostMounts().find((m) => m.target === '/ro')).toMatchObject({ options: 'ro,relatime', root: '/ro-src', source: '/dev/vda1', fstype: 'ext4' });
    for (const p of [fake.fs.writeFile('/ro/f', 'y'), fake.fs.mkdir('/ro/d'), fake.fs.remove('/ro/f'), fake.fs.chmod('/ro/f', 0o600)]) {
      expect(await fail(p)).toMatchObject({ code: 'EROFS' });
    }
    await fake.fs.writeFile('/ro-src/f', 'via the source');
    expect(await fake.fs.readFile('/ro/f')).toBe('via the source');
  });

  it('failNext makes one file call fail, optionally on one path', async () => {
    const fake = new FakeHost();
    fake.failNext('fs.writeFile', 'ENOSPC', { path: '/srv/b' });
    fake.fs.seedDir('/srv');
    await fake.fs.writeFile('/srv/a', 'fine');
    expect(await fail(fake.fs.writeFile('/srv/b', 'x'))).toMatchObject({ code: 'ENOSPC', path: '/srv/b' });
    await fake.fs.writeFile('/srv/b', 'x');
    expect(fake.pendingFaults()).toEqual([]);
  });

  it('reads /proc and /proc/sys of the calling process', async () => {
    const fake = new FakeHost();
    expect(await fake.fs.readFile('/proc/sys/kernel/hostname')).toBe('fakehost\n');
    expect(await fake.fs.readlink('/proc/self')).toBe(String(fake.selfPid));
    expect(await fake.fs.readFile('/proc/mounts')).toContain('/dev/vda1 / ext4 rw,relatime 0 0\n');
    expect(await fake.fs.readlink(`/proc/${fake.selfPid}/ns/uts`)).toBe('uts:[4026531838]');
    expect((await fake.fs.readFile(`/proc/${fake.selfPid}/stat`)).split(' ')[21]).toBe(String(await fake.processes.startTime(fake.selfPid)));
    await fake.fs.writeFile('/proc/sys/net/ipv4/ip_forward', '1\n');
    expect(fake.sysctl(fake.selfPid, 'net.ipv4.ip_forward')).toBe('1');
    expect(await fail(fake.fs.writeFile('/proc/sys/net/ipv4/ip_forward', 'yes'))).toMatchObject({ code: 'EINVAL' });
    expect(await fail(fake.fs.writeFile('/proc/sys/kernel/hostname', 'x'.repeat(65)))).toMatchObject({ code: 'EINVAL' });
    expect(await fail(fake.fs.writeFile('/proc/uptime', '1'))).toMatchObject({ code: 'EACCES' });
    expect(await fake.fs.exists('/proc/sys/no/such/key')).toBe(false);
  });
});
