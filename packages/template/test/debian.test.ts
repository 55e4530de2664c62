import { describe, expect, it } from 'vitest';
import { FakeHost } from '@vzkit/core/testing';
import {
  buildableNames, DebootstrapProgress, debianArch, findBuilder, inittabForVe, installedPackages, parseDebianName, StageReporter,
  statInTree, templateCacheDir,
} from '../src/index.js';
import { BOOKWORM_INITTAB } from './fake-programs.js';

describe('Debian template names', () => {
  it('are debian-<release>-<machine>, the machine as uname -m prints it', () => {
    expect(parseDebianName('debian-12-x86_64')).toEqual({ release: '12', machine: 'x86_64' });
    expect(parseDebianName('debian-12-aarch64')).toEqual({ release: '12', machine: 'aarch64' });
    for (const other of ['debian-12', 'debian-x86_64', 'ubuntu-24.04-x86_64', 'debian-12-x86_64-minimal', 'Debian-12-x86_64']) {
      expect(parseDebianName(other), other).toBeUndefined();
    }
  });

  it('map the machine to Debian\'s architecture', () => {
    expect(debianArch('x86_64')).toBe('amd64');
    expect(debianArch('aarch64')).toBe('arm64');
    expect(debianArch('ppc64le')).toBe('ppc64el');
    expect(debianArch('amd64')).toBeUndefined();
    expect(debianArch('toString')).toBeUndefined();
  });

  it('the host\'s own machine is buildable; a machine Debian lacks has no Debian template', async () => {
    const fake = new FakeHost();
    expect(await buildableNames(fake)).toEqual(['busybox', 'debian-12-x86_64']);
    const builder = await findBuilder(fake, 'debian-12-x86_64', { env: { VZKIT_DEBIAN_MIRROR: 'http://mirror.local/debian/' } });
    expect(builder).toMatchObject({ name: 'debian-12-x86_64', source: 'debootstrap:bookworm:http://mirror.local/debian', cached: true });
    expect(await findBuilder(fake, 'busybox')).toMatchObject({ cached: false, source: 'busybox:/bin/busybox' });
    expect(await findBuilder(fake, 'centos-7-x86_64')).toBeUndefined();

    const mips = new FakeHost();
    mips.onRun('uname', () => ({ stdout: 'mips\n' }));
    expect(await buildableNames(mips)).toEqual(['busybox']);
    await expect(findBuilder(mips, 'debian-12-mips')).rejects.toMatchObject({
      code: 'TEMPLATE_NOT_FOUND', message: "OS template 'debian-12-mips' cannot be built: Debian has no mips port",
    });
  });
});

describe('the VE adaptations of a Debian tree', () => {
  it('inittab loses the gettys on tty1-6 and keeps everything else', () => {
    const out = inittabForVe(BOOKWORM_INITTAB);
    const gone = BOOKWORM_INITTAB.split('\n').filter((l) => !out.split('\n').includes(l));
    expect(gone).toEqual([
      '1:2345:respawn:/sbin/getty --noclear 38400 tty1', '2:23:respawn:/sbin/getty 38400 tty2', '3:23:respawn:/sbin/getty 38400 tty3',
      '4:23:respawn:/sbin/getty 38400 tty4', '5:23:respawn:/sbin/getty 38400 tty5', '6:23:respawn:/sbin/getty 38400 tty6',
    ]);
    expect(inittabForVe('T0:23:respawn:/sbin/getty -L ttyS0 9600 vt100\n')).toBe('T0:23:respawn:/sbin/getty -L ttyS0 9600 vt100\n');
    expect(inittabForVe(out)).toBe(out);
  });

  it('dpkg status: what is installed', () => {
    const status = 'Package: systemd\nStatus: deinstall ok config-files\n\nPackage: sysvinit-core\nVersion: 3.06\nStatus: install ok installed\n';
    expect(installedPackages(status)).toEqual(new Set(['sysvinit-core']));
  });

  it('paths inside a tree follow its links from its own top, never out of it', async () => {
    const fake = new FakeHost();
    fake.fs.seed('/t/usr/sbin/init', 'ELF').seedLink('/t/sbin', 'usr/sbin').seedLink('/t/bin', '/usr/bin').seed('/t/usr/bin/sh', 'ELF');
    fake.fs.seedLink('/t/etc', '../../etc').seedLink('/t/loop', 'loop');
    expect((await statInTree(fake, '/t', 'sbin/init'))?.type).toBe('file');
    expect((await statInTree(fake, '/t', '/bin/sh'))?.type).toBe('file');
    // ../../etc from /t is /t/etc's parent's parent, clamped at the tree's top: /t/etc, itself a link, ... a loop.
    expect(await statInTree(fake, '/t', 'etc/passwd')).toBeUndefined();
    expect(await statInTree(fake, '/t', 'loop/x')).toBeUndefined();
  });
});

describe('progress', () => {
  it('passes on stage changes, every tenth of a counted stage and its end, nothing twice', () => {
    const seen: string[] = [];
    const r = new StageReporter((m) => seen.push(m));
    r.enter('resolving');
    r.enter('resolving');
    for (let i = 1; i <= 20; i++) r.count('unpacking', i, 20);
    r.count('unpacking', 20, 20);
    for (let i = 1; i <= 60; i++) r.count('retrieving', i);
    expect(seen).toEqual([
      'resolving', 'unpacking (1/20)', ...[2, 4, 6, 8, 10, 12, 14, 16, 18, 20].map((n) => `unpacking (${n}/20)`),
      'retrieving (1)', 'retrieving (25)', 'retrieving (50)',
    ]);
  });

  it('reads debootstrap\'s lines as a real bookworm build prints them and keeps the reason of a failure', () => {
    const seen: string[] = [];
    const p = new DebootstrapProgress((m) => seen.push(m));
    const lines = [
      'I: Retrieving InRelease ', 'I: Checking Release signature', 'I: Valid Release signature (key id 4D64FEC119C2029067D6E791F8D2585B8783D481)',
      'I: Retrieving Packages ', 'I: Validating Packages ', 'I: Resolving dependencies of required packages...',
      'I: Resolving dependencies of base packages...', 'I: Checking component main on http://deb.debian.org/debian...',
      'I: Retrieving adduser 3.134', 'I: Validating adduser 3.134', 'I: Retrieving zlib1g 1:1.2.13.dfsg-1',
      'I: Chosen extractor for .deb packages: dpkg-deb', 'I: Extracting adduser...',
      'I: Installing core packages...', 'I: Unpacking required packages...', 'I: Unpacking adduser...',
      'I: Configuring required packages...', 'I: Configuring adduser...', 'I: Unpacking the base system...',
      'I: Unpacking zlib1g:amd64...', 'I: Configuring the base system...', 'I: Configuring zlib1g:amd64...', 'I: Configuring libc-bin...',
      'I: Base system installed successfully.', 'W: something odd', 'E: Couldn\'t download packages: libc6',
    ];
    for (const l of lines) p.line(l);
    expect(seen).toEqual([
      'retrieving package lists', 'resolving dependencies', 'retrieving packages (1)', 'extracting packages (1)', 'installing core packages',
      'unpacking packages (1/2)', 'configuring packages (1/2)', 'unpacking packages (2/2)', 'configuring packages (2/2)',
      'base system installed (2 packages)',
    ]);
    expect(p.packages).toBe(2);
    expect(p.lastError).toBe('Couldn\'t download packages: libc6');
  });
});

describe('the machine cache', () => {
  it('is /var/cache/vzkit/templates, shared by the test roots under /var/tmp, or VZKIT_TEMPLATE_CACHE', () => {
    expect(templateCacheDir('', {})).toBe('/var/cache/vzkit/templates');
    expect(templateCacheDir('/tmp/root-1', {})).toBe('/var/tmp/vzkit-template-cache');
    expect(templateCacheDir('/tmp/root-1', { VZKIT_TEMPLATE_CACHE: '/srv/cache' })).toBe('/srv/cache');
  });
});
