/**
 * Extended attributes and ownership on the real kernel (ext4 under /tmp), through
 * LinuxHostFs: what FakeFs models for the conversion of a VE between kinds — a chown
 * takes setuid bits and file capabilities away, ACLs and capabilities read back as
 * written, and refusals come with the kernel's errno.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ACL_GROUP, ACL_USER, formatAcl, formatFileCaps, parseAcl, parseFileCaps, XATTR_ACL_ACCESS, XATTR_ACL_DEFAULT, XATTR_CAPS,
} from '@vzkit/core';
import { LinuxHostFs } from '../src/fs.js';

const fs = new LinuxHostFs();
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vzkit-xattr-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const reject = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as { errno?: string });
const ACL = formatAcl([
  { tag: 0x01, perm: 6, id: 0xffffffff }, { tag: ACL_USER, perm: 6, id: 101000 }, { tag: 0x04, perm: 4, id: 0xffffffff },
  { tag: ACL_GROUP, perm: 4, id: 100033 }, { tag: 0x10, perm: 6, id: 0xffffffff }, { tag: 0x20, perm: 0, id: 0xffffffff },
]);

describe('LinuxHostFs extended attributes', () => {
  it('lists, reads and writes user xattrs, ACLs and capabilities of a path itself', async () => {
    const f = join(dir, 'f');
    await writeFile(f, 'x');
    expect(await fs.listXattrs(f)).toEqual([]);
    expect(await fs.getXattr(f, 'user.none')).toBeUndefined();
    await fs.setXattr(f, 'user.note', new TextEncoder().encode('hello'));
    await fs.setXattr(f, XATTR_ACL_ACCESS, ACL);
    await fs.setXattr(f, XATTR_CAPS, formatFileCaps({ effective: true, permitted: [1 << 13, 0], inheritable: [0, 0], rootid: 100000 }));
    expect((await fs.listXattrs(f)).sort()).toEqual(['security.capability', 'system.posix_acl_access', 'user.note']);
    expect(new TextDecoder().decode(await fs.getXattr(f, 'user.note'))).toBe('hello');
    expect(parseAcl((await fs.getXattr(f, XATTR_ACL_ACCESS))!)?.filter((e) => e.tag === ACL_USER || e.tag === ACL_GROUP))
      .toEqual([{ tag: ACL_USER, perm: 6, id: 101000 }, { tag: ACL_GROUP, perm: 4, id: 100033 }]);
    expect(parseFileCaps((await fs.getXattr(f, XATTR_CAPS))!)).toMatchObject({ effective: true, rootid: 100000 });
    // getcap agrees that the kernel took the namespaced (revision 3) capability.
    expect(execFileSync('getcap', ['-n', f]).toString()).toMatch(/cap_net_raw=ep \[rootid=100000\]/);
    // A symlink is never followed.
    await symlink('f', join(dir, 'l'));
    expect(await fs.listXattrs(join(dir, 'l'))).toEqual([]);
  });

  it('a chown takes the setuid bit and capabilities away, keeps ACLs; a directory keeps its setgid bit', async () => {
    const f = join(dir, 'su');
    await writeFile(f, 'x');
    await fs.chmod(f, 0o4755);
    await fs.setXattr(f, XATTR_ACL_ACCESS, ACL);
    expect((await fs.stat(f))?.mode).toBe(0o4660);
    await fs.setXattr(f, XATTR_CAPS, formatFileCaps({ effective: true, permitted: [1 << 13, 0], inheritable: [0, 0], rootid: 0 }));
    await fs.chown(f, 100000, 100000);
    // The access ACL set the permission bits (user rw, mask rw, other none); the chown took the setuid bit.
    expect(await fs.stat(f)).toMatchObject({ uid: 100000, gid: 100000, mode: 0o660 });
    expect(await fs.getXattr(f, XATTR_CAPS)).toBeUndefined();
    expect(await fs.getXattr(f, XATTR_ACL_ACCESS)).toBeDefined();
    const d = join(dir, 'd');
    await mkdir(d);
    await fs.chmod(d, 0o2775);
    await fs.chown(d, 100000, 100000);
    expect((await fs.stat(d))?.mode).toBe(0o2775);
  });

  it('refusals carry the errno: a default ACL on a file, a bad ACL, a bad capability', async () => {
    const f = join(dir, 'f');
    await writeFile(f, 'x');
    expect(await reject(fs.setXattr(f, XATTR_ACL_DEFAULT, ACL))).toMatchObject({ errno: 'EACCES' });
    expect(await reject(fs.setXattr(f, XATTR_ACL_ACCESS, new Uint8Array([2, 0, 0, 0, 1, 0, 0])))).toMatchObject({ errno: 'EINVAL' });
    expect(await reject(fs.setXattr(f, XATTR_ACL_ACCESS, new Uint8Array(12)))).toMatchObject({ errno: 'ENOTSUP' });
    expect(await reject(fs.setXattr(f, XATTR_CAPS, new Uint8Array(16)))).toMatchObject({ errno: 'EINVAL' });
    expect(await reject(fs.setXattr(f, 'nope.x', new Uint8Array(1)))).toMatchObject({ errno: 'ENOTSUP' });
  });

  it('an access ACL and chmod follow each other; an ACL the bits express is not kept', async () => {
    const f = join(dir, 'f');
    await writeFile(f, 'x');
    await fs.setXattr(f, XATTR_ACL_ACCESS, ACL);
    await fs.chmod(f, 0o640);
    expect(parseAcl((await fs.getXattr(f, XATTR_ACL_ACCESS))!)?.find((e) => e.tag === 0x10)?.perm).toBe(4);
    const N = 0xffffffff;
    await fs.setXattr(f, XATTR_ACL_ACCESS, formatAcl([{ tag: 0x01, perm: 7, id: N }, { tag: 0x04, perm: 5, id: N }, { tag: 0x20, perm: 1, id: N }]));
    expect((await fs.stat(f))?.mode).toBe(0o751);
    expect(await fs.listXattrs(f)).toEqual([]);
  });

  it('reports the major and minor of device nodes (an overlay whiteout is 0:0)', async () => {
    expect((await fs.stat('/dev/null'))?.rdev).toEqual({ major: 1, minor: 3 });
    execFileSync('mknod', [join(dir, 'wh'), 'c', '0', '0']);
    expect(await fs.stat(join(dir, 'wh'))).toMatchObject({ type: 'char', rdev: { major: 0, minor: 0 } });
    expect((await fs.stat(join(dir)))?.rdev).toBeUndefined();
  });
});
