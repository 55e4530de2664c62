import { describe, expect, it } from 'vitest';
import { FakeHost } from '../src/index.js';
import { ACL_GROUP_OBJ, ACL_MASK, ACL_OTHER, ACL_USER, ACL_USER_OBJ, formatAcl, formatFileCaps, parseAcl, parseFileCaps, XATTR_ACL_ACCESS, XATTR_ACL_DEFAULT, XATTR_CAPS } from '@vzkit/core';

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

describe('FakeFs: ownership and extended attributes as the kernel keeps them', () => {
  it('chown of a non-directory takes the setuid bit, setgid with group execute, and file capabilities; a directory keeps its bits', async () => {
    const { fs } = new FakeHost();
    await fs.mkdir('/srv');
    await fs.writeFile('/srv/su', 'x');
    await fs.chmod('/srv/su', 0o6755);
    await fs.setXattr('/srv/su', XATTR_CAPS, formatFileCaps({ effective: true, permitted: [1 << 13, 0], inheritable: [0, 0], rootid: 0 }));
    await fs.setXattr('/srv/su', 'user.note', new TextEncoder().encode('kept'));
    await fs.chown('/srv/su', 5, 5);
    expect(await fs.stat('/srv/su')).toMatchObject({ uid: 5, gid: 5, mode: 0o755 });
    expect(await fs.listXattrs('/srv/su')).toEqual(['user.note']);
    await fs.writeFile('/srv/lock', 'x');
    await fs.chmod('/srv/lock', 0o2644);
    await fs.chown('/srv/lock', 0, 0);
    // setgid without group execute marks mandatory locking: it stays.
    expect((await fs.stat('/srv/lock'))?.mode).toBe(0o2644);
    await fs.mkdir('/srv/d');
    await fs.chmod('/srv/d', 0o2775);
    await fs.chown('/srv/d', 7, 7);
    expect((await fs.stat('/srv/d'))?.mode).toBe(0o2775);
  });

  it('setxattr refuses what the kernel refuses: unknown namespaces, bad ACLs and capabilities, default ACLs on files, ACLs on symlinks', async () => {
    const { fs } = new FakeHost();
    await fs.mkdir('/srv');
    await fs.writeFile('/srv/f', 'x');
    await fs.symlink('f', '/srv/l');
    const acl = formatAcl([{ tag: ACL_USER, perm: 6, id: 1000 }]);
    expect(await fail(fs.setXattr('/srv/f', 'nope.x', new Uint8Array(1)))).toMatchObject({ code: 'ENOTSUP' });
    expect(await fail(fs.setXattr('/srv/f', XATTR_ACL_ACCESS, new Uint8Array([2, 0, 0, 0, 1, 0, 0])))).toMatchObject({ code: 'EINVAL' });
    expect(await fail(fs.setXattr('/srv/f', XATTR_ACL_ACCESS, new Uint8Array(12)))).toMatchObject({ code: 'ENOTSUP' });
    expect(await fail(fs.setXattr('/srv/f', XATTR_ACL_DEFAULT, acl))).toMatchObject({ code: 'EACCES' });
    expect(await fail(fs.setXattr('/srv/l', XATTR_ACL_ACCESS, acl))).toMatchObject({ code: 'ENOTSUP' });
    expect(await fail(fs.setXattr('/srv/l', 'user.x', new Uint8Array(1)))).toMatchObject({ code: 'EPERM' });
    expect(await fail(fs.setXattr('/srv/f', XATTR_CAPS, new Uint8Array(16)))).toMatchObject({ code: 'EINVAL' });
    expect(await fail(fs.setXattr('/proc/self/status', 'user.x', new Uint8Array(1)))).toMatchObject({ code: 'ENOTSUP' });
    await fs.setXattr('/srv/f', XATTR_ACL_ACCESS, acl);
    expect(parseAcl((await fs.getXattr('/srv/f', XATTR_ACL_ACCESS))!)).toEqual([{ tag: ACL_USER, perm: 6, id: 1000 }]);
    expect(await fs.getXattr('/srv/f', XATTR_CAPS)).toBeUndefined();
    expect(await fs.listXattrs('/srv/l')).toEqual([]);
  });

  it('an access ACL and the permission bits follow each other; one the bits express is not kept', async () => {
    const { fs } = new FakeHost();
    await fs.mkdir('/srv');
    await fs.writeFile('/srv/f', 'x');
    await fs.chmod('/srv/f', 0o4644);
    const N = 0xffffffff;
    await fs.setXattr('/srv/f', XATTR_ACL_ACCESS, formatAcl([
      { tag: ACL_USER_OBJ, perm: 6, id: N }, { tag: ACL_USER, perm: 6, id: 1000 }, { tag: ACL_GROUP_OBJ, perm: 4, id: N },
      { tag: ACL_MASK, perm: 6, id: N }, { tag: ACL_OTHER, perm: 0, id: N },
    ]));
    expect((await fs.stat('/srv/f'))?.mode).toBe(0o4660);
    await fs.chmod('/srv/f', 0o640);
    expect(parseAcl((await fs.getXattr('/srv/f', XATTR_ACL_ACCESS))!)?.find((e) => e.tag === ACL_MASK)?.perm).toBe(4);
    await fs.setXattr('/srv/f', XATTR_ACL_ACCESS, formatAcl([{ tag: ACL_USER_OBJ, perm: 7, id: N }, { tag: ACL_GROUP_OBJ, perm: 5, id: N }, { tag: ACL_OTHER, perm: 1, id: N }]));
    expect((await fs.stat('/srv/f'))?.mode).toBe(0o751);
    expect(await fs.listXattrs('/srv/f')).toEqual([]);
  });

  it('capabilities: revision 2 is the host root\'s, revision 3 carries the root uid; both read back', () => {
    const v2 = formatFileCaps({ effective: true, permitted: [0x2000, 1], inheritable: [0, 0], rootid: 0 });
    expect(v2.length).toBe(20);
    expect(parseFileCaps(v2)).toEqual({ effective: true, permitted: [0x2000, 1], inheritable: [0, 0], rootid: 0 });
    const v3 = formatFileCaps({ effective: false, permitted: [0x2000, 0], inheritable: [4, 0], rootid: 100000 });
    expect(v3.length).toBe(24);
    expect(parseFileCaps(v3)).toEqual({ effective: false, permitted: [0x2000, 0], inheritable: [4, 0], rootid: 100000 });
    // Revision 1 (one word each) is read as the host root's.
    const v1 = new Uint8Array([0, 0, 0, 1, 0, 0x20, 0, 0, 0, 0, 0, 0]);
    expect(parseFileCaps(v1)).toEqual({ effective: false, permitted: [0x2000, 0], inheritable: [0, 0], rootid: 0 });
    expect(parseFileCaps(new Uint8Array(24))).toBeUndefined();
  });
});
