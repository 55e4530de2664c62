/**
 * LinuxGuestFs on the real kernel, in a temp directory standing for a VE root: what root
 * inside a VE can put where vzkit reads or writes — a symlink to a host file, a symlink
 * on the way, a FIFO, a link to /dev/zero, a device node, a mount — is refused, and
 * nothing outside the root is read or written; then the same under a swapper that
 * exchanges each name with those decoys in a tight loop (renameat2 RENAME_EXCHANGE)
 * while thousands of reads and writes run.
 */
import { execFileSync } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isGuestFileRefusal } from '@vzkit/core';
import { LinuxGuestFs } from '../src/guest-fs.js';
import { MS, mount, umount2 } from '../src/syscalls.js';

const swapperSource = fileURLToPath(new URL('../../cli/test/fixtures/rename-swapper.c', import.meta.url));
const guest = new LinuxGuestFs();
let dir = '';
let root = '';
/** A host file the VE would like vzkit to read or overwrite. */
let secret = '';
const SECRET = 'host-secret-7f3a\n';

async function refusal(p: Promise<unknown>): Promise<{ errno: string | undefined; message: string }> {
  try {
    await p;
  } catch (e) {
    if (!isGuestFileRefusal(e)) throw e;
    return { errno: e.errno, message: e.message };
  }
  throw new Error('not refused');
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vzkit-guestfs-it-'));
  root = join(dir, 'root');
  secret = join(dir, 'host-secret');
  await writeFile(secret, SECRET, { mode: 0o600 });
  await mkdir(join(root, 'etc'), { recursive: true });
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('LinuxGuestFs: files a VE made unsafe', () => {
  it('reads and replaces a regular file: owner and mode kept, set-id bits dropped, a new inode', async () => {
    const f = join(root, 'etc/hostname');
    await writeFile(f, 'old\n');
    await chown(f, 100005, 100006);
    await chmod(f, 0o4640);
    const before = await stat(f);
    expect(await guest.read(root, 'etc/hostname')).toBe('old\n');
    expect(await guest.write(root, 'etc/hostname', 'new\n')).toBe(true);
    const after = await stat(f);
    expect([after.uid, after.gid, after.mode & 0o7777]).toEqual([100005, 100006, 0o640]);
    expect(after.ino).not.toBe(before.ino);
    expect(await readFile(f, 'utf8')).toBe('new\n');
  });

  it("a new file takes its directory's owner and the mode asked for; false without create", async () => {
    await mkdir(join(root, 'etc/ssh'));
    await chown(join(root, 'etc/ssh'), 100000, 100000);
    expect(await guest.write(root, 'etc/ssh/key', 'k', { create: true, mode: 0o600 })).toBe(true);
    const st = await stat(join(root, 'etc/ssh/key'));
    expect([st.uid, st.gid, st.mode & 0o7777]).toEqual([100000, 100000, 0o600]);
    expect(await guest.write(root, 'etc/ssh/other', 'k')).toBe(false);
    expect(await guest.write(root, 'nodir/x', 'k', { create: true })).toBe(false);
    expect(await guest.read(root, 'etc/none')).toBeUndefined();
    expect(await guest.stat(join(dir, 'not-mounted'), 'etc/hosts')).toBeUndefined();
  });

  it('a symlink to a host file: refused, the host file neither read nor written', async () => {
    await symlink(secret, join(root, 'etc/hosts'));
    const before = await stat(secret);
    expect(await refusal(guest.read(root, 'etc/hosts'))).toEqual({ errno: 'ELOOP', message: '/etc/hosts is a symbolic link, which vzkit does not follow' });
    expect((await refusal(guest.write(root, 'etc/hosts', 'pwned\n', { create: true }))).errno).toBe('ELOOP');
    expect((await guest.stat(root, 'etc/hosts'))?.type).toBe('symlink');
    const after = await stat(secret);
    expect([await readFile(secret, 'utf8'), after.mtimeMs, after.ino]).toEqual([SECRET, before.mtimeMs, before.ino]);
  });

  it('a symlink on the way (a directory linked to the host): refused', async () => {
    await symlink(dir, join(root, 'up'));
    expect((await refusal(guest.read(root, 'up/host-secret'))).message).toBe('/up/host-secret has a symbolic link on its path, which vzkit does not follow');
    expect((await refusal(guest.write(root, 'up/host-secret', 'x'))).errno).toBe('ELOOP');
    expect((await refusal(guest.stat(root, 'up/host-secret'))).errno).toBe('ELOOP');
    expect(await readFile(secret, 'utf8')).toBe(SECRET);
  });

  it('a FIFO, a link to /dev/zero, a device node, a directory: refused at once, nothing blocks or streams', async () => {
    execFileSync('mkfifo', [join(root, 'etc/resolv.conf')]);
    await symlink('/dev/zero', join(root, 'etc/zero'));
    execFileSync('mknod', [join(root, 'etc/null'), 'c', '1', '3']);
    await mkdir(join(root, 'etc/dir'));
    const t0 = Date.now();
    expect((await refusal(guest.read(root, 'etc/resolv.conf'))).message).toBe('/etc/resolv.conf is a FIFO, not a regular file');
    expect((await refusal(guest.write(root, 'etc/resolv.conf', 'x', { create: true }))).message).toBe('/etc/resolv.conf is a FIFO, not a regular file');
    expect((await refusal(guest.read(root, 'etc/zero'))).errno).toBe('ELOOP');
    expect((await refusal(guest.read(root, 'etc/null'))).message).toBe('/etc/null is a character device, not a regular file');
    expect((await refusal(guest.write(root, 'etc/dir', 'x'))).errno).toBe('EISDIR');
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('a file larger than the limit, or a mount point on the way: refused', async () => {
    await writeFile(join(root, 'etc/big'), Buffer.alloc((1 << 20) + 1, 'x'));
    expect(await refusal(guest.read(root, 'etc/big'))).toEqual({ errno: 'EFBIG', message: '/etc/big is larger than 1048576 bytes, the most vzkit reads of a guest file' });
    expect((await guest.read(root, 'etc/big', { maxBytes: 2 << 20 }))?.length).toBe((1 << 20) + 1);
    const mnt = join(root, 'mnt');
    await mkdir(mnt);
    mount(dir, mnt, null, MS.BIND, null);
    try {
      expect((await refusal(guest.read(root, 'mnt/host-secret'))).errno).toBe('EXDEV');
      expect((await refusal(guest.write(root, 'mnt/host-secret', 'x'))).errno).toBe('EXDEV');
    } finally {
      umount2(mnt, 0);
    }
    expect(await readFile(secret, 'utf8')).toBe(SECRET);
  });
});

describe('LinuxGuestFs against a swapper exchanging each name with a symlink to a host file, a FIFO, a link to /dev/zero, a device node and a directory', () => {
  let swapper = 0;
  afterAll(() => {
    if (swapper) {
      try {
        process.kill(swapper, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });

  it('2,000 reads and 2,000 writes each complete or are refused; the host file is untouched and never shows up inside', async () => {
    const race = join(dir, 'race');
    await mkdir(join(race, 'etc'), { recursive: true });
    const targets = ['etc/hosts', 'etc/resolv.conf'];
    for (const t of targets) await writeFile(join(race, t), `guest ${t}\n`);
    const bin = join(dir, 'rename-swapper');
    execFileSync('cc', ['-O2', '-o', bin, swapperSource]);
    const before = await stat(secret);
    swapper = Number(execFileSync(bin, ['60', `link:${secret},fifo,link:/dev/zero,chr:1:5,dir`, ...targets.map((t) => join(race, t))], { encoding: 'utf8' }).trim());
    const seen = { done: 0, refused: new Map<string, number>() };
    const note = (e: unknown) => {
      if (!isGuestFileRefusal(e)) throw e;
      seen.refused.set(e.errno ?? '?', (seen.refused.get(e.errno ?? '?') ?? 0) + 1);
    };
    for (let i = 0; i < 2000; i++) {
      for (const t of targets) {
        try {
          const text = await guest.read(race, t);
          expect(text ?? '').not.toContain('host-secret');
          seen.done++;
        } catch (e) {
          note(e);
        }
        try {
          await guest.write(race, t, `written ${i}\n`, { create: true });
          seen.done++;
        } catch (e) {
          note(e);
        }
      }
    }
    process.kill(swapper, 'SIGKILL');
    swapper = 0;
    const after = await stat(secret);
    expect([await readFile(secret, 'utf8'), after.mtimeMs, after.ino]).toEqual([SECRET, before.mtimeMs, before.ino]);
    // The race was live: some calls met a decoy, some the real file.
    expect(seen.done).toBeGreaterThan(100);
    expect([...seen.refused.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(100);
    expect([...seen.refused.keys()].every((k) => ['ELOOP', 'EINVAL', 'EISDIR'].includes(k))).toBe(true);
  }, 60_000);
});
