import { describe, expect, it } from 'vitest';
import { isGuestFileRefusal, readGuestFile, skipIfRefused, statGuestFile, writeGuestFile, type GuestCtx } from '../src/index.js';
import { errnoOf, failure, FakeHost } from '@vzkit/fake-host';

const ROOT = '/vz/root/101';

function veOn(fake: FakeHost): GuestCtx & { log: { info(): void; warn(m: string): void; debug(): void }; warnings: string[] } {
  const warnings: string[] = [];
  return { host: fake, ve: { label: 'CT 101', paths: { root: ROOT } }, warnings, log: { info() {}, warn: (m) => warnings.push(m), debug() {} } };
}

/** A host file the VE would like vzkit to read or overwrite. */
function withHostSecret(fake: FakeHost): FakeHost {
  fake.fs.seed('/etc/shadow', 'root:secret-hash:1:0:99999:7:::\n', { mode: 0o600 });
  return fake;
}

describe('guest files: owners and modes', () => {
  it("a new file takes its directory's owner: the VE's root in a user-namespaced VE", async () => {
    const fake = new FakeHost();
    const ve = veOn(fake);
    fake.fs.seedDir(`${ROOT}/etc`);
    await fake.fs.chown(ROOT, 100000, 100000);
    await fake.fs.chown(`${ROOT}/etc`, 100000, 100000);
    expect(await writeGuestFile(ve, 'etc/hosts', '127.0.0.1 localhost\n', { create: true, mode: 0o600 })).toBe(true);
    expect(await fake.fs.stat(`${ROOT}/etc/hosts`)).toMatchObject({ type: 'file', uid: 100000, gid: 100000, mode: 0o600 });
    expect(await readGuestFile(ve, 'etc/hosts')).toBe('127.0.0.1 localhost\n');
    // Only the file is left: the temporary name it was written under is gone.
    expect(fake.fs.tree(`${ROOT}/etc`)).toEqual(['hosts']);
  });

  it('a replaced file keeps its owner and mode; in a VE of the host root, new files stay root-owned', async () => {
    const fake = new FakeHost();
    const ve = veOn(fake);
    fake.fs.seed(`${ROOT}/etc/hostname`, 'old\n', { mode: 0o640 });
    await fake.fs.chown(`${ROOT}/etc/hostname`, 100005, 100005);
    expect(await writeGuestFile(ve, 'etc/hostname', 'new\n')).toBe(true);
    expect(await fake.fs.stat(`${ROOT}/etc/hostname`)).toMatchObject({ uid: 100005, gid: 100005, mode: 0o640 });
    expect(fake.fs.read(`${ROOT}/etc/hostname`)).toBe('new\n');
    await writeGuestFile(ve, 'etc/resolv.conf', 'nameserver 192.0.2.1\n', { create: true });
    expect(await fake.fs.stat(`${ROOT}/etc/resolv.conf`)).toMatchObject({ uid: 0, gid: 0, mode: 0o644 });
  });

  it('never writes set-id bits, even those the old file had', async () => {
    const fake = new FakeHost();
    fake.fs.seed(`${ROOT}/etc/hostname`, 'old\n', { mode: 0o4755 });
    await writeGuestFile(veOn(fake), 'etc/hostname', 'new\n');
    expect((await fake.fs.stat(`${ROOT}/etc/hostname`))?.mode).toBe(0o755);
  });

  it('a missing file without create, a missing directory, or an unmounted root: nothing written, false', async () => {
    const fake = new FakeHost();
    const ve = veOn(fake);
    expect(await writeGuestFile(ve, 'etc/hostname', 'x\n', { create: true })).toBe(false);
    expect(await readGuestFile(ve, 'etc/hostname')).toBeUndefined();
    expect(await statGuestFile(ve, 'etc/hostname')).toBeUndefined();
    fake.fs.seedDir(`${ROOT}/etc`);
    expect(await writeGuestFile(ve, 'etc/hostname', 'x\n')).toBe(false);
    expect(await writeGuestFile(ve, 'etc/ssh/ssh_host_rsa_key', 'x\n', { create: true })).toBe(false);
    expect(fake.fs.tree(ROOT)).toEqual(['etc/']);
  });

  it('a path that is absolute or climbs out is a bug of the caller, refused before anything is opened', async () => {
    const ve = veOn(new FakeHost());
    for (const rel of ['/etc/hosts', '../etc/hosts', 'etc/../../x', '']) {
      expect((await failure(readGuestFile(ve, rel))).message).toMatch(/is not a path inside a VE/);
    }
  });
});

describe('guest files: what a VE may put in their place is refused, and nothing outside is touched', () => {
  it('a symlink at the file, to a host file: neither read nor written through', async () => {
    const fake = withHostSecret(new FakeHost());
    const ve = veOn(fake);
    fake.fs.seedLink(`${ROOT}/etc/hosts`, '/etc/shadow');
    for (const e of [await failure(readGuestFile(ve, 'etc/hosts')), await failure(writeGuestFile(ve, 'etc/hosts', 'x', { create: true }))]) {
      expect(isGuestFileRefusal(e)).toBe(true);
      expect([e.code, e.errno, e.message]).toEqual(['GUEST_FILE', 'ELOOP', 'CT 101: /etc/hosts is a symbolic link, which vzkit does not follow']);
    }
    expect(fake.fs.read('/etc/shadow')).toBe('root:secret-hash:1:0:99999:7:::\n');
    expect(await fake.fs.readlink(`${ROOT}/etc/hosts`)).toBe('/etc/shadow');
    // stat reports the link itself.
    expect((await statGuestFile(ve, 'etc/hosts'))?.type).toBe('symlink');
  });

  it('a symlink on the way (a directory linked to a host directory): refused for stat, read and write', async () => {
    const fake = withHostSecret(new FakeHost());
    const ve = veOn(fake);
    fake.fs.seedDir(ROOT).seedLink(`${ROOT}/etc`, '/etc');
    for (const p of [statGuestFile(ve, 'etc/shadow'), readGuestFile(ve, 'etc/shadow'), writeGuestFile(ve, 'etc/shadow', 'x', { create: true })]) {
      const e = await failure(p);
      expect([e.code, e.errno, e.message]).toEqual(['GUEST_FILE', 'ELOOP', 'CT 101: /etc/shadow has a symbolic link on its path, which vzkit does not follow']);
    }
    expect(fake.fs.read('/etc/shadow')).toBe('root:secret-hash:1:0:99999:7:::\n');
  });

  it('a FIFO, a device node, a socket or a directory in place of the file: refused by type, nothing opened', async () => {
    const fake = new FakeHost();
    const ve = veOn(fake);
    fake.fs.seedFifo(`${ROOT}/etc/resolv.conf`).seedFifo(`${ROOT}/etc/sock`, 'socket').seedDir(`${ROOT}/etc/hostname`);
    fake.fs.mknodSync(`${ROOT}/etc/hosts`, 'c', 1, 5, 0o666);
    const cases: Array<[string, string, string]> = [
      ['etc/resolv.conf', 'FIFO', 'EINVAL'], ['etc/hosts', 'character device', 'EINVAL'], ['etc/sock', 'socket', 'EINVAL'], ['etc/hostname', 'directory', 'EISDIR'],
    ];
    for (const [rel, what, errno] of cases) {
      for (const p of [readGuestFile(ve, rel), writeGuestFile(ve, rel, 'x', { create: true })]) {
        const e = await failure(p);
        expect([e.code, e.errno, e.message]).toEqual(['GUEST_FILE', errno, `CT 101: /${rel} is a ${what}, not a regular file`]);
      }
    }
    expect(fake.fs.tree(`${ROOT}/etc`)).toEqual(['hostname/', 'hosts c 1:5', 'resolv.conf', 'sock']);
  });

  it('a file larger than the limit is refused, not read; a limit per call', async () => {
    const fake = new FakeHost();
    const ve = veOn(fake);
    fake.fs.seed(`${ROOT}/etc/hosts`, 'x'.repeat((1 << 20) + 1));
    const e = await failure(readGuestFile(ve, 'etc/hosts'));
    expect([e.code, e.errno, e.message]).toEqual(['GUEST_FILE', 'EFBIG', 'CT 101: /etc/hosts is larger than 1048576 bytes, the most vzkit reads of a guest file']);
    expect((await readGuestFile(ve, 'etc/hosts', { maxBytes: 2 << 20 }))?.length).toBe((1 << 20) + 1);
    expect((await failure(readGuestFile(ve, 'etc/hosts', { maxBytes: 16 }))).message).toMatch(/larger than 16 bytes/);
  });

  it('a mount point on the way is not crossed', async () => {
    const fake = new FakeHost();
    const ve = veOn(fake);
    fake.fs.seed('/srv/elsewhere/hosts', 'not the guest\'s\n').seedDir(`${ROOT}/etc`);
    await fake.mounts.mount({ source: '/srv/elsewhere', target: `${ROOT}/etc`, flags: ['bind'] });
    const e = await failure(readGuestFile(ve, 'etc/hosts'));
    expect([e.code, e.errno, e.message]).toEqual(['GUEST_FILE', 'EXDEV', 'CT 101: /etc/hosts is reached across a mount point, which vzkit does not cross']);
  });

  it('a plain file where a directory should be', async () => {
    const fake = new FakeHost();
    fake.fs.seed(`${ROOT}/etc`, 'a file\n');
    const e = await failure(writeGuestFile(veOn(fake), 'etc/hosts', 'x', { create: true }));
    expect([e.code, e.errno]).toEqual(['GUEST_FILE', 'ENOTDIR']);
  });

  it('skipIfRefused turns a refusal into one warning with the consequence, and lets other failures through', async () => {
    const fake = new FakeHost();
    const ve = veOn(fake);
    fake.fs.seedFifo(`${ROOT}/etc/resolv.conf`);
    expect(await skipIfRefused(ve, 'NAMESERVER was not written into it', () => writeGuestFile(ve, 'etc/resolv.conf', 'x', { create: true }))).toBe(false);
    expect(ve.warnings).toEqual(['/etc/resolv.conf is a FIFO, not a regular file; NAMESERVER was not written into it']);
    fake.fs.seedDir(`${ROOT}/tmp`);
    fake.failNext('guest.write', 'ENOSPC');
    const e = await failure(skipIfRefused(ve, 'x', () => writeGuestFile(ve, 'tmp/x', 'x', { create: true })));
    expect(errnoOf(e)).toBe('ENOSPC');
    expect(e.message).toMatch(/^CT 101: write \/tmp\/x: /);
    expect(ve.warnings).toHaveLength(1);
  });
});
