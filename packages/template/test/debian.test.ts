import { describe, expect, it } from 'vitest';
import { FakeHost } from '@vzkit/fake-host';
import {
  acquireSettings, buildableNames, debianArch, debianMirrorsOf, MmdebstrapProgress, parseDeb822Sources, parseOneLineSources, findBuilder, inittabForVe, installedPackages, parseDebianName, StageReporter,
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
    const builder = await findBuilder(fake, 'debian-12-x86_64', { mirror: 'http://mirror.local/debian/' });
    expect(builder).toMatchObject({ name: 'debian-12-x86_64', source: 'mmdebstrap:bookworm:http://mirror.local/debian', cached: true });
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

  it('reads mmdebstrap\'s lines as a real bookworm build prints them', () => {
    const seen: string[] = [];
    const p = new MmdebstrapProgress((m) => seen.push(m));
    const lines = [
      'I: chroot architecture amd64 is equal to the host\'s architecture', 'I: finding correct signed-by value...', 'I: running apt-get update...',
      'Get:1 http://security.debian.org/debian-security bookworm-security InRelease [34.8 kB]', 'Fetched 9425 kB in 1s (12.3 MB/s)',
      'I: downloading packages with apt...', 'Reading package lists...', 'The following NEW packages will be installed:', '  base-files base-passwd',
      '0 upgraded, 2 newly installed, 0 to remove and 0 not upgraded.',
      'Get:1 http://deb.debian.org/debian bookworm/main amd64 base-files amd64 12.4+deb12u15 [70.9 kB]',
      'Get:2 http://deb.debian.org/debian bookworm/main amd64 base-passwd amd64 3.6.1 [44.1 kB]',
      'I: extracting archives...', 'I: installing essential packages...',
      '/usr/bin/dpkg --status-fd 11 --no-triggers --unpack --auto-deconfigure /tmp/t3/var/cache/apt/archives/base-files_12.4+deb12u15_amd64.deb ',
      'Unpacking base-files (12.4+deb12u15) ...', 'Setting up base-files (12.4+deb12u15) ...',
      'Unpacking base-passwd (3.6.1) ...', 'Setting up base-passwd (3.6.1) ...',
      'I: installing remaining packages inside the chroot...', '0 upgraded, 1 newly installed, 0 to remove and 0 not upgraded.',
      'Get:1 http://deb.debian.org/debian bookworm/main amd64 sysvinit-core amd64 3.06-4 [182 kB]',
      'Selecting previously unselected package sysvinit-core.', 'Unpacking sysvinit-core (3.06-4) ...', 'Setting up sysvinit-core (3.06-4) ...',
      'Processing triggers for libc-bin (2.36-9+deb12u14) ...', 'I: cleaning package lists and apt cache...', 'I: success in 15.5815 seconds',
    ];
    for (const l of lines) p.line(l);
    expect(seen).toEqual([
      'retrieving package lists', 'resolving dependencies', 'retrieving packages (1/2)', 'retrieving packages (2/2)', 'extracting packages',
      'installing essential packages', 'unpacking packages (1/2)', 'configuring packages (1/2)', 'unpacking packages (2/2)', 'configuring packages (2/2)',
      'installing the other packages', 'retrieving packages (3/3)', 'unpacking packages (3/3)', 'configuring packages (3/3)',
      'base system installed (3 packages)',
    ]);
    expect(p.packages).toBe(3);
    expect(p.firstError).toBeUndefined();
  });

  it('keeps the first error, and apt\'s reason when the mirror is out of reach', () => {
    const p = new MmdebstrapProgress(() => {});
    for (const l of [
      'Err:1 http://deb.debian.org/debian bookworm InRelease', '  Temporary failure resolving \'deb.debian.org\'',
      'E: Failed to fetch http://deb.debian.org/debian/dists/bookworm/InRelease  Temporary failure resolving \'deb.debian.org\'',
      'E: Some index files failed to download. They have been ignored, or old ones used instead.', 'E: mmdebstrap failed to run',
    ]) p.line(l);
    expect(p.fetchError).toEqual({ url: 'http://deb.debian.org/debian/dists/bookworm/InRelease', reason: 'Temporary failure resolving \'deb.debian.org\'' });
    expect(p.firstError).toMatch(/^Failed to fetch /);
  });
});

describe('the host\'s apt configuration', () => {
  it('finds the Debian archive and security mirrors in one-line and deb822 sources, skipping others', () => {
    const oneLine = parseOneLineSources([
      '# deb http://old.example/debian bookworm main', 'deb-src http://deb.debian.org/debian bookworm main',
      'deb https://packages.cloud.google.com/apt cloud-sdk-bookworm main',
      'deb [arch=amd64 signed-by=/k.gpg] http://mirror.lan/debian/ bookworm main contrib', 'deb http://mirror.lan/debian-security bookworm-security main',
    ].join('\n'));
    expect(debianMirrorsOf(oneLine)).toEqual({ archive: 'http://mirror.lan/debian', security: 'http://mirror.lan/debian-security' });
    const deb822 = parseDeb822Sources([
      'Types: deb', 'URIs: https://deb.nodesource.com/node_20.x', 'Suites: nodistro', '',
      'Types: deb deb-src', 'URIs: http://deb.debian.org/debian', 'Suites: trixie trixie-updates', 'Enabled: no', '',
      'Types: deb', '# a comment in a stanza', 'URIs: http://ftp.de.debian.org/debian', 'Suites: trixie trixie-updates', 'Components: main', '',
    ].join('\n'));
    expect(debianMirrorsOf(deb822)).toEqual({ archive: 'http://ftp.de.debian.org/debian' });
    expect(debianMirrorsOf([])).toEqual({});
  });

  it('passes on the Acquire settings, without the inner nodes, index targets and cdrom', () => {
    expect(acquireSettings([
      'Acquire "";', 'Acquire::http "";', 'Acquire::http::Proxy "http://u:p@proxy:3128/";', 'Acquire::Retries "5";',
      'Acquire::IndexTargets::deb::DEP-11::DefaultEnabled "false";', 'Acquire::cdrom::mount "/media/cdrom/";', 'APT::Architecture "amd64";',
    ].join('\n'))).toBe('Acquire::http::Proxy "http://u:p@proxy:3128/";\nAcquire::Retries "5";\n');
  });
});

describe('the machine cache', () => {
  it('is /var/cache/vzkit/templates, shared by the test roots under /var/tmp, or the one the composition names', () => {
    expect(templateCacheDir('')).toBe('/var/cache/vzkit/templates');
    expect(templateCacheDir('/tmp/root-1')).toBe('/var/tmp/vzkit-template-cache');
    expect(templateCacheDir('/tmp/root-1', '/srv/cache')).toBe('/srv/cache');
  });
});
