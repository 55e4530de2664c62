import { describe, expect, it } from 'vitest';
import { readGuestFile, writeGuestFile } from '../src/index.js';
import { FakeHost } from '../src/testing/index.js';

const ROOT = '/vz/root/101';

describe('guest files', () => {
  it("a new file takes its directory's owner: the VE's root in a user-namespaced VE", async () => {
    const fake = new FakeHost();
    fake.fs.seedDir(`${ROOT}/etc`);
    await fake.fs.chown(ROOT, 100000, 100000);
    await fake.fs.chown(`${ROOT}/etc`, 100000, 100000);
    expect(await writeGuestFile(fake.fs, ROOT, 'etc/hosts', '127.0.0.1 localhost\n', { create: true, mode: 0o600 })).toBe(true);
    expect(await fake.fs.stat(`${ROOT}/etc/hosts`)).toMatchObject({ uid: 100000, gid: 100000, mode: 0o600 });
    expect(await readGuestFile(fake.fs, ROOT, 'etc/hosts')).toBe('127.0.0.1 localhost\n');
  });

  it('an existing file keeps its owner; in a VE of the host root, new files stay root-owned', async () => {
    const fake = new FakeHost();
    fake.fs.seed(`${ROOT}/etc/hostname`, 'old\n');
    await fake.fs.chown(`${ROOT}/etc/hostname`, 100005, 100005);
    await writeGuestFile(fake.fs, ROOT, 'etc/hostname', 'new\n');
    expect(await fake.fs.stat(`${ROOT}/etc/hostname`)).toMatchObject({ uid: 100005, gid: 100005 });
    await writeGuestFile(fake.fs, ROOT, 'etc/resolv.conf', 'nameserver 192.0.2.1\n', { create: true });
    expect(await fake.fs.stat(`${ROOT}/etc/resolv.conf`)).toMatchObject({ uid: 0, gid: 0, mode: 0o644 });
  });

  it('never follows a link: a symlinked file or directory is left alone', async () => {
    const fake = new FakeHost();
    fake.fs.seedDir(`${ROOT}/etc`).seedLink(`${ROOT}/etc/hosts`, '/etc/passwd').seedLink(`${ROOT}/run`, '/etc');
    expect(await writeGuestFile(fake.fs, ROOT, 'etc/hosts', 'x', { create: true })).toBe(false);
    expect(await writeGuestFile(fake.fs, ROOT, 'run/x', 'x', { create: true })).toBe(false);
    expect(await fake.fs.exists('/etc/x')).toBe(false);
  });
});
