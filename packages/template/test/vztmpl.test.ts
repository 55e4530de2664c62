import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRuntime, definePlugin, isVzError, resolvePaths, vzError, type Runtime, type VzPaths } from '@vzkit/core';
import { FakeHost } from '@vzkit/fake-host';
import { markCreating, SHARED_TEST_TEMPLATE_CACHE, TEMPLATE_STAMP, templatePlugin, unmarkCreating } from '../src/index.js';
import { fakeBusybox } from './fake-busybox.js';
import { privateArea } from './private-area.js';
import {
  fakeArchive, installFakeAptConfig, installFakeMmdebstrap, installFakeTar, installFakeUnshare, installFakeZstd, seedFakeTarball,
} from './fake-programs.js';

const DEBIAN = 'debian-12-x86_64';
const CACHE = SHARED_TEST_TEMPLATE_CACHE;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let fake: FakeHost;
let tmp: string;
let paths: VzPaths;
let rt: Runtime;

/** Runs a vztmpl command as the tool would: output by line, a VzError as `vztmpl: message` and its exit. */
async function vztmpl(...argv: string[]): Promise<Run> {
  const [name, ...args] = argv;
  const cmd = rt.commands.find((c) => c.tool === 'vztmpl' && c.name === name);
  if (!cmd) throw new Error(`no vztmpl command ${name}`);
  const r: Run = { code: 0, stdout: '', stderr: '' };
  try {
    r.code = await cmd.run({ runtime: rt, out: (l) => (r.stdout += `${l}\n`), err: (l) => (r.stderr += `${l}\n`) }, args);
  } catch (e) {
    if (!isVzError(e)) throw e;
    r.stderr += `vztmpl: ${e.message}\n`;
    r.code = e.exit;
  }
  return r;
}

/** What the template directory holds besides templates: partial builds, leftovers. */
async function templateDir(): Promise<string[]> {
  return (await fake.fs.exists(paths.template)) ? fake.fs.readdirSync(paths.template).sort() : [];
}

function stamp(name: string): Record<string, unknown> {
  return JSON.parse(fake.fs.read(join(paths.template, name, TEMPLATE_STAMP))) as Record<string, unknown>;
}

beforeEach(async () => {
  fake = new FakeHost();
  fake.fs.seed('/bin/busybox', fakeBusybox(['[', 'ash', 'cat', 'init', 'ls', 'sh', 'syslogd']), { mode: 0o755 });
  installFakeTar(fake);
  installFakeZstd(fake);
  fake.fs.seedDir('/srv');
  tmp = await mkdtemp(join(tmpdir(), 'vzkit-vztmpl-'));
  paths = resolvePaths(tmp);
  rt = createRuntime({ host: fake, plugins: [privateArea, templatePlugin], paths });
});

afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('vztmpl list', () => {
  it('lists the templates here; -a adds what vzkit can build or has cached; -j is JSON', async () => {
    expect(await vztmpl('list')).toEqual({ code: 0, stdout: 'NAME  SIZE  CREATED  SOURCE\n', stderr: '' });
    await vztmpl('create', 'busybox');
    fake.fs.seed(`${CACHE}/centos-7-x86_64.tar.gz`, 'tarball');
    const table = (await vztmpl('list')).stdout.split('\n');
    expect(table[0]).toMatch(/^NAME +SIZE +CREATED +SOURCE$/);
    expect(table[1]).toMatch(/^busybox +\d+(\.\d)?K? +\d{4}-\d\d-\d\d \d\d:\d\d +busybox:\/bin\/busybox$/);
    expect(table).toHaveLength(3);

    const all = (await vztmpl('list', '-a')).stdout;
    expect(all).toMatch(new RegExp(`^centos-7-x86_64 +- +- +\\(in the machine cache: ${CACHE}/centos-7-x86_64.tar.gz\\)$`, 'm'));
    expect(all).toMatch(new RegExp(`^${DEBIAN} +- +- +\\(built on first use\\)$`, 'm'));

    const json = JSON.parse((await vztmpl('list', '-a', '-j')).stdout) as Array<Record<string, unknown>>;
    expect(json.map((t) => [t.name, t.status])).toEqual([['busybox', 'ready'], ['centos-7-x86_64', 'cached'], [DEBIAN, 'buildable']]);
    expect(json[0]).toMatchObject({ path: join(paths.template, 'busybox'), source: 'busybox:/bin/busybox', size: expect.any(Number) });
  });

  it('says which option it does not know', async () => {
    expect(await vztmpl('list', '--long')).toMatchObject({ code: 20, stderr: 'vztmpl: list: unknown option --long\n' });
  });
});

describe('vztmpl create debian-12-x86_64 (mmdebstrap)', () => {
  it('builds a sysvinit system for VEs, shows the build\'s progress and leaves a tarball in the machine cache', async () => {
    const deb = installFakeMmdebstrap(fake, { packages: 30 });
    const unshare = installFakeUnshare(fake);
    const r = await vztmpl('create', DEBIAN);
    expect(r).toMatchObject({ code: 0, stdout: expect.stringMatching(new RegExp(`^Created OS template ${DEBIAN} in ${paths.template}/${DEBIAN} \\(`)) });

    const progress = r.stderr.trimEnd().split('\n');
    expect(progress.every((l) => l.startsWith(`vztmpl: ${DEBIAN}: `))).toBe(true);
    const said = progress.map((l) => l.slice(`vztmpl: ${DEBIAN}: `.length));
    expect(said).toEqual([
      'building (mmdebstrap:bookworm:http://deb.debian.org/debian)',
      'retrieving package lists', 'resolving dependencies',
      'retrieving packages (1/15)', 'retrieving packages (2/15)', 'retrieving packages (4/15)', 'retrieving packages (6/15)', 'retrieving packages (8/15)',
      'retrieving packages (10/15)', 'retrieving packages (12/15)', 'retrieving packages (14/15)', 'retrieving packages (15/15)',
      'extracting packages', 'installing essential packages',
      'unpacking packages (1/15)', 'configuring packages (1/15)', 'unpacking packages (2/15)', 'configuring packages (2/15)',
      'unpacking packages (4/15)', 'configuring packages (4/15)', 'unpacking packages (6/15)', 'configuring packages (6/15)',
      'unpacking packages (8/15)', 'configuring packages (8/15)', 'unpacking packages (10/15)', 'configuring packages (10/15)',
      'unpacking packages (12/15)', 'configuring packages (12/15)', 'unpacking packages (14/15)', 'configuring packages (14/15)',
      'unpacking packages (15/15)', 'configuring packages (15/15)',
      'installing the other packages',
      'retrieving packages (18/30)', 'retrieving packages (21/30)', 'retrieving packages (24/30)', 'retrieving packages (27/30)', 'retrieving packages (30/30)',
      'unpacking packages (18/30)', 'unpacking packages (21/30)', 'unpacking packages (24/30)', 'unpacking packages (27/30)', 'unpacking packages (30/30)',
      'configuring packages (18/30)', 'configuring packages (21/30)', 'configuring packages (24/30)', 'configuring packages (27/30)', 'configuring packages (30/30)',
      'base system installed (30 packages)',
      'adapting the tree for a VE',
      `keeping a copy in ${CACHE}`,
      `cached as ${CACHE}/${DEBIAN}.tar.zst`,
    ]);

    // The build ran in its own pid and mount namespace, from the default mirrors.
    expect(unshare.calls.map((c) => c.slice(0, c.indexOf('--') + 1))).toEqual([
      ['unshare', '--fork', '--pid', '--mount', '--propagation', 'private', '--kill-child', '--'],
    ]);
    const tree = join(paths.template, DEBIAN);
    expect(deb.runs[0]).toEqual([
      'mmdebstrap', '--verbose', '--mode=root', '--format=directory', '--variant=minbase', '--arch=amd64',
      expect.stringMatching(/^--include=(.*,)?sysvinit-core,/), 'bookworm', expect.stringMatching(new RegExp(`^${paths.template}/${DEBIAN}\\.partial-\\d+$`)),
      'deb http://deb.debian.org/debian bookworm main', 'deb http://deb.debian.org/debian bookworm-updates main',
      'deb http://deb.debian.org/debian-security bookworm-security main',
    ]);
    const include = deb.runs[0]![6]!.slice('--include='.length).split(',');
    expect(include).toEqual(expect.arrayContaining(['sysvinit-core', 'rsyslog', 'openssh-server', 'nginx-light', 'ifupdown', 'iproute2', 'procps', 'less', 'ca-certificates']));
    // Without apt-config on the host there are no settings to pass on.
    expect(deb.aptopt).toBeUndefined();
    // What a postinst started anyway is gone.
    expect(fake.process(deb.daemonPid!)?.alive).toBe(false);
    expect(fake.processes.list().map((p) => p.argv[0])).not.toContain('/usr/sbin/nginx');

    // Adapted for a VE.
    const inittab = fake.fs.read(`${tree}/etc/inittab`);
    expect(inittab).not.toMatch(/^[^#\n].*getty/m);
    expect(inittab).toContain('si::sysinit:/etc/init.d/rcS\n');
    expect(inittab).toContain('ca:12345:ctrlaltdel:/sbin/shutdown -t1 -a -r now\n');
    expect(inittab).toContain('#T0:23:respawn:/sbin/getty -L ttyS0 9600 vt100\n');
    expect(fake.fs.read(`${tree}/etc/fstab`)).toBe('');
    expect(fake.fs.read(`${tree}/etc/hostname`)).toBe('localhost\n');
    expect(fake.fs.read(`${tree}/etc/hosts`)).not.toContain('buildhost');
    expect(fake.fs.read(`${tree}/etc/resolv.conf`)).toBe('');
    expect(fake.fs.read(`${tree}/etc/apt/sources.list`)).toBe([
      'deb http://deb.debian.org/debian bookworm main', 'deb http://deb.debian.org/debian bookworm-updates main',
      'deb http://deb.debian.org/debian-security bookworm-security main', '',
    ].join('\n'));
    expect(fake.fs.readdirSync(`${tree}/etc/ssh`)).toEqual(['sshd_config']);
    expect(await fake.fs.exists(`${tree}/usr/sbin/policy-rc.d`)).toBe(false);
    expect(fake.fs.readdirSync(`${tree}/var/cache/apt/archives`)).toEqual(['partial']);
    expect(fake.fs.readdirSync(`${tree}/var/cache/apt`)).toEqual(['archives']);
    expect(fake.fs.readdirSync(`${tree}/var/lib/apt/lists`).sort()).toEqual(['lock', 'partial']);
    expect(fake.fs.read(`${tree}/sbin/init`)).toBe('ELF sysvinit');
    expect(stamp(DEBIAN)).toMatchObject({ name: DEBIAN, source: 'mmdebstrap:bookworm:http://deb.debian.org/debian', size: expect.any(Number) });

    const cached = fakeArchive(fake, `${CACHE}/${DEBIAN}.tar.zst`);
    expect(cached.flags).toEqual(['--zstd']);
    expect(cached.paths).toEqual(expect.arrayContaining(['/.vzkit-template', '/etc/inittab', '/usr/sbin/init']));
    expect(fake.fs.readdirSync(CACHE)).toEqual([`${DEBIAN}.tar.zst`]);
    expect(await templateDir()).toEqual([DEBIAN]);
  });

  it('downloads as the host\'s apt does: its Debian mirrors and its Acquire settings, which stay out of the template', async () => {
    const deb = installFakeMmdebstrap(fake);
    installFakeUnshare(fake);
    fake.fs.seed('/etc/apt/sources.list', '# deb cdrom:[Debian]/ bookworm main\n');
    fake.fs.seed('/etc/apt/sources.list.d/nodesource.sources', 'Types: deb\nURIs: https://deb.nodesource.com/node_20.x\nSuites: nodistro\nComponents: main\n');
    fake.fs.seed('/etc/apt/sources.list.d/debian.sources', [
      'Types: deb', '# http://snapshot.debian.org/archive/debian/20250520T000000Z', 'URIs: http://apt-cache.lan:3142/debian/', 'Suites: bookworm bookworm-updates',
      'Components: main', '', 'Types: deb', 'URIs: http://apt-cache.lan:3142/debian-security', 'Suites: bookworm-security', 'Components: main', '',
    ].join('\n'));
    installFakeAptConfig(fake, [
      'Acquire "";', 'Acquire::http "";', 'Acquire::http::Proxy "http://proxy.lan:3128";', 'Acquire::Check-Valid-Until "false";',
      'Acquire::IndexTargets "";', 'Acquire::IndexTargets::deb::Packages::MetaKey "$(COMPONENT)/binary-$(ARCHITECTURE)/Packages";',
      'Acquire::cdrom::mount "/media/cdrom/";', '',
    ].join('\n'));
    expect((await vztmpl('create', DEBIAN, '-q')).code).toBe(0);
    expect(deb.runs[0]!.slice(-3)).toEqual([
      'deb http://apt-cache.lan:3142/debian bookworm main', 'deb http://apt-cache.lan:3142/debian bookworm-updates main',
      'deb http://apt-cache.lan:3142/debian-security bookworm-security main',
    ]);
    expect(deb.runs[0]).toEqual(expect.arrayContaining(['--skip=check/empty', expect.stringMatching(/^--aptopt=.*\/\.vzkit-build-apt\.conf$/)]));
    expect(deb.aptopt).toBe('Acquire::http::Proxy "http://proxy.lan:3128";\nAcquire::Check-Valid-Until "false";\n');
    const tree = join(paths.template, DEBIAN);
    expect(fake.fs.readdirSync(`${tree}/etc/apt/apt.conf.d`)).toEqual(['70debconf']);
    expect(await fake.fs.exists(`${tree}/.vzkit-build-apt.conf`)).toBe(false);
    expect(stamp(DEBIAN).source).toBe('mmdebstrap:bookworm:http://apt-cache.lan:3142/debian');
    // VZKIT_DEBIAN_MIRROR and --mirror still choose the archive.
    expect((await vztmpl('remove', DEBIAN)).code).toBe(0);
    fake.fs.remove(`${CACHE}/${DEBIAN}.tar.zst`);
    expect((await vztmpl('create', DEBIAN, '-q', '--mirror', 'http://ftp.de.debian.org/debian/')).code).toBe(0);
    expect(deb.runs[1]!.slice(-3, -1)).toEqual(['deb http://ftp.de.debian.org/debian bookworm main', 'deb http://ftp.de.debian.org/debian bookworm-updates main']);
  });

  it('a second vzkit root takes it from the machine cache, keeping where it was built; --no-cache builds again', async () => {
    const deb = installFakeMmdebstrap(fake);
    installFakeUnshare(fake);
    await vztmpl('create', DEBIAN);
    const built = stamp(DEBIAN);
    const first = tmp;
    tmp = await mkdtemp(join(tmpdir(), 'vzkit-vztmpl-'));
    paths = resolvePaths(tmp);
    rt = createRuntime({ host: fake, plugins: [privateArea, templatePlugin], paths });
    const r = await vztmpl('create', DEBIAN);
    await rm(first, { recursive: true, force: true });
    expect(r.stderr).toBe(`vztmpl: ${DEBIAN}: unpacking ${CACHE}/${DEBIAN}.tar.zst\n`);
    expect(deb.runs).toHaveLength(1);
    expect(stamp(DEBIAN)).toMatchObject({
      source: built.source, created: built.created, importedFrom: `${CACHE}/${DEBIAN}.tar.zst`, imported: expect.any(String),
    });
    expect(fake.fs.read(join(paths.template, DEBIAN, 'sbin/init'))).toBe('ELF sysvinit');

    // vzctl create takes the same way (the plugin's create hook), quietly but for its log.
    await rt.create(101, { ostemplate: DEBIAN });

    await vztmpl('remove', DEBIAN).then((x) => expect(x.code).toBe(92));
    await rt.destroy(101);
    await vztmpl('remove', DEBIAN);
    fake.fs.seed(`${CACHE}/${DEBIAN}.tar.gz`, 'an older tarball in the other format');
    const again = await vztmpl('create', DEBIAN, '--no-cache', '-q');
    expect(again).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(deb.runs).toHaveLength(2);
    expect(fake.fs.readdirSync(CACHE)).toEqual([`${DEBIAN}.tar.zst`]);
  });

  it('vzctl create builds it on first use through the plugin, logging progress', async () => {
    installFakeMmdebstrap(fake);
    installFakeUnshare(fake);
    const lines: string[] = [];
    rt = createRuntime({
      host: fake, plugins: [privateArea, templatePlugin], paths,
      log: { info: (m) => lines.push(m), warn: () => {}, debug: () => {} },
    });
    await rt.create(101, { ostemplate: DEBIAN });
    expect(lines).toEqual(expect.arrayContaining([
      `OS template ${DEBIAN}: retrieving packages (15/15)`, `OS template ${DEBIAN}: cached as ${CACHE}/${DEBIAN}.tar.zst`,
    ]));
    expect(await templateDir()).toEqual([DEBIAN]);
  });

  it('a mirror out of reach: one line saying so, nothing left behind', async () => {
    installFakeMmdebstrap(fake, { unreachable: "Temporary failure resolving 'deb.debian.org'" });
    installFakeUnshare(fake);
    const r = await vztmpl('create', DEBIAN, '-q');
    expect(r).toEqual({
      code: 91, stdout: '',
      stderr: `vztmpl: cannot build OS template '${DEBIAN}' in ${paths.template}: cannot reach the Debian mirror: `
        + `Temporary failure resolving 'deb.debian.org' (http://deb.debian.org/debian/dists/bookworm/InRelease)\n`,
    });
    expect(await templateDir()).toEqual([]);
    expect(fake.fs.readdirSync(CACHE)).toEqual([]);
  });

  it('a failed build: one line with its first error; nothing left behind', async () => {
    installFakeMmdebstrap(fake, { fail: 'E: installing essential packages failed' });
    installFakeUnshare(fake);
    const r = await vztmpl('create', DEBIAN, '-q');
    expect(r).toEqual({
      code: 3, stdout: '',
      stderr: `vztmpl: cannot build OS template '${DEBIAN}' in ${paths.template}: mmdebstrap failed with status 1: installing essential packages failed\n`,
    });
    expect(await templateDir()).toEqual([]);
  });

  it('refuses a tree that would boot systemd', async () => {
    installFakeMmdebstrap(fake, { systemd: true });
    installFakeUnshare(fake);
    expect(await vztmpl('create', DEBIAN, '-q')).toMatchObject({ code: 47, stderr: expect.stringContaining('boots systemd instead of sysvinit') });
    expect(await templateDir()).toEqual([]);
  });

  it('without mmdebstrap: TEMPLATE_NOT_FOUND naming the package, before anything is made', async () => {
    const r = await vztmpl('create', DEBIAN);
    expect(r.code).toBe(91);
    expect(r.stderr).toBe(`vztmpl: OS template '${DEBIAN}' cannot be built: mmdebstrap not found\n`);
    expect(await templateDir()).toEqual([]);
  });

  it('names it cannot build: another machine, another release, another family, a bad name or mirror', async () => {
    expect(await vztmpl('create', 'debian-12-aarch64')).toMatchObject({
      code: 91, stderr: "vztmpl: OS template 'debian-12-aarch64' cannot be built: this host is x86_64, and only its own architecture can be built\n",
    });
    expect((await vztmpl('create', 'debian-11-x86_64')).stderr).toContain('vzkit builds Debian 12 only');
    expect(await vztmpl('create', 'centos-7')).toMatchObject({ code: 91, stderr: "vztmpl: vzkit cannot build OS template 'centos-7'\n" });
    expect(await vztmpl('create', '../x')).toMatchObject({ code: 21, stderr: "vztmpl: invalid OS template name '../x'\n" });
    expect(await vztmpl('create', DEBIAN, '--mirror', 'deb.debian.org')).toMatchObject({ code: 21, stderr: "vztmpl: invalid Debian mirror 'deb.debian.org'\n" });
    expect(await vztmpl('create')).toMatchObject({ code: 20, stderr: 'vztmpl: create: NAME missing\n' });
    await vztmpl('create', 'busybox');
    expect(await vztmpl('create', 'busybox')).toMatchObject({ code: 93, stderr: `vztmpl: OS template 'busybox' already exists in ${paths.template}\n` });
  });

  it('on an arm64 host it is debian-12-aarch64 that can be built', async () => {
    fake.onRun('uname', () => ({ stdout: 'aarch64\n' }));
    const deb = installFakeMmdebstrap(fake);
    installFakeUnshare(fake);
    expect((await vztmpl('create', 'debian-12-aarch64', '-q', '--mirror', 'http://ftp.de.debian.org/debian/')).code).toBe(0);
    expect(deb.runs[0]).toEqual(expect.arrayContaining(['--arch=arm64', 'deb http://ftp.de.debian.org/debian bookworm main']));
    expect(stamp('debian-12-aarch64').source).toBe('mmdebstrap:bookworm:http://ftp.de.debian.org/debian');
  });
});

describe('template locks', () => {
  it('two builds of one template in two roots: one builds, the other waits and unpacks its tarball', async () => {
    const deb = installFakeMmdebstrap(fake);
    installFakeUnshare(fake);
    const second = await mkdtemp(join(tmpdir(), 'vzkit-vztmpl-'));
    const other = createRuntime({ host: fake, plugins: [privateArea, templatePlugin], paths: resolvePaths(second) });
    const lines: string[] = [];
    const run = (r: Runtime, out: string[]) => r.commands.find((c) => c.name === 'create' && c.tool === 'vztmpl')!
      .run({ runtime: r, out: () => {}, err: (l) => out.push(l) }, [DEBIAN]);
    const otherLines: string[] = [];
    try {
      await Promise.all([run(rt, lines), run(other, otherLines)]);
    } finally {
      await rm(second, { recursive: true, force: true });
    }
    expect(deb.runs).toHaveLength(1);
    const [builder, waiter] = lines.some((l) => l.includes('building')) ? [lines, otherLines] : [otherLines, lines];
    expect(builder).toContain(`vztmpl: ${DEBIAN}: cached as ${CACHE}/${DEBIAN}.tar.zst`);
    expect(waiter).toEqual([
      expect.stringMatching(new RegExp(`^vztmpl: ${DEBIAN}: waiting for pid ${process.pid} \\(vztmpl create ${DEBIAN}\\) to finish with it$`)),
      `vztmpl: ${DEBIAN}: unpacking ${CACHE}/${DEBIAN}.tar.zst`,
    ]);
    // Neither lock is left behind.
    expect(fake.fs.readdirSync(CACHE)).toEqual([`${DEBIAN}.tar.zst`]);
    expect(await templateDir()).toEqual([DEBIAN]);
  });

  it('vztmpl remove waits for a create that is using the template and then refuses', async () => {
    await vztmpl('create', 'busybox');
    // A create marked itself (under the template's lock) and has not written its config yet.
    await markCreating(fake, paths.template, 'busybox', 4242);
    expect(await vztmpl('remove', 'busybox')).toEqual({ code: 92, stdout: '', stderr: "vztmpl: OS template 'busybox' is in use by CT 4242\n" });
    // A marker whose process is gone does not count, and is removed.
    fake.fs.seed(`${paths.template}/.busybox.creating-4243`, '999999\n\n');
    await unmarkCreating(fake, paths.template, 4242);
    expect(await vztmpl('remove', 'busybox')).toMatchObject({ code: 0 });
    expect(await templateDir()).toEqual([]);
  });

  it('a create leaves no marker once committed or undone', async () => {
    await rt.create(101, { ostemplate: 'busybox' });
    expect(await templateDir()).toEqual(['busybox']);
    const failing = definePlugin({ name: 'failing', hooks: { async create() { throw vzError('SYSTEM', 'disk full'); } } });
    rt = createRuntime({ host: fake, plugins: [templatePlugin, failing], paths });
    await expect(rt.create(102, { ostemplate: 'busybox' })).rejects.toMatchObject({ message: expect.stringContaining('disk full') });
    expect(await templateDir()).toEqual(['busybox']);
  });
});

describe('vztmpl remove', () => {
  it('refuses while a VE is made from the template, then removes it whole', async () => {
    await rt.create(101, { ostemplate: 'busybox' });
    const r = await vztmpl('remove', 'busybox');
    expect(r).toEqual({ code: 92, stdout: '', stderr: "vztmpl: OS template 'busybox' is in use by CT 101\n" });
    expect(await templateDir()).toEqual(['busybox']);
    await rt.destroy(101);
    expect(await vztmpl('remove', 'busybox')).toEqual({ code: 0, stdout: 'Removed OS template busybox\n', stderr: '' });
    expect(await templateDir()).toEqual([]);
    expect(await vztmpl('remove', 'busybox')).toMatchObject({ code: 91 });
  });

  it('removes an unstamped tree, which a build refuses to replace', async () => {
    fake.fs.seed(`${paths.template}/busybox/etc/passwd`, 'half\n');
    expect((await vztmpl('create', 'busybox')).code).toBe(47);
    expect((await vztmpl('remove', 'busybox', '-q')).code).toBe(0);
    expect((await vztmpl('create', 'busybox', '-q')).code).toBe(0);
  });
});

describe('vztmpl export and import', () => {
  it('round trip: export writes one tarball with the stamp; import makes the same tree under another name', async () => {
    await vztmpl('create', 'busybox');
    const r = await vztmpl('export', 'busybox', '/srv/bb.tar.gz');
    expect(r).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Exported OS template busybox to \/srv\/bb\.tar\.gz \(gzip, /) });
    expect(r.stderr).toBe('vztmpl: busybox: packing into /srv/bb.tar.gz\n');
    expect(fakeArchive(fake, '/srv/bb.tar.gz').flags).toEqual(['--gzip']);
    expect(fake.fs.readdirSync('/srv')).toEqual(['bb.tar.gz']);
    expect(await vztmpl('export', 'busybox', '/srv/bb.tar.gz')).toMatchObject({ code: 21, stderr: "vztmpl: cannot export OS template 'busybox': /srv/bb.tar.gz exists\n" });
    expect((await vztmpl('export', 'nosuch', '/srv/x.tar.gz')).code).toBe(91);

    const imported = await vztmpl('import', '/srv/bb.tar.gz', 'bb2');
    expect(imported).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Imported OS template bb2 from \/srv\/bb\.tar\.gz \(/) });
    expect(fake.fs.tree(join(paths.template, 'bb2'))).toEqual(fake.fs.tree(join(paths.template, 'busybox')));
    expect(stamp('bb2')).toMatchObject({ name: 'bb2', source: 'busybox:/bin/busybox', created: stamp('busybox').created, importedFrom: '/srv/bb.tar.gz' });
    // The name comes from the file when none is given.
    await vztmpl('remove', 'busybox');
    expect((await vztmpl('import', '/srv/bb.tar.gz', '-q')).code).toBe(0);
    expect(await templateDir()).toEqual(['bb', 'bb2']);
    expect(await vztmpl('import', '/srv/bb.tar.gz', 'bb2')).toMatchObject({ code: 93 });
  });

  it('export without an extension: zstd when the host has it, else gzip', async () => {
    await vztmpl('create', 'busybox');
    expect((await vztmpl('export', 'busybox', '/srv/a')).stdout).toContain('(zstd, ');
    fake.processes.runner.handlers.delete('zstd');
    expect((await vztmpl('export', 'busybox', '/srv/b')).stdout).toContain('(gzip, ');
    expect(fakeArchive(fake, '/srv/b').flags).toEqual(['--gzip']);
  });

  it('a root filesystem tarball without a stamp is imported as coming from its file', async () => {
    seedFakeTarball(fake, '/srv/centos-7-x86_64.tar.gz', { 'sbin/init': 'ELF', 'bin/sh': 'ELF', 'etc/os-release': 'NAME=CentOS\n' });
    expect((await vztmpl('import', '/srv/centos-7-x86_64.tar.gz', '-q')).code).toBe(0);
    expect(stamp('centos-7-x86_64')).toMatchObject({ source: 'tarball:/srv/centos-7-x86_64.tar.gz' });
    expect(stamp('centos-7-x86_64').importedFrom).toBeUndefined();
  });

  it('refuses what is no template, leaving nothing: not a tarball, no /sbin/init, a tree in a subdirectory, no file', async () => {
    fake.fs.seed('/srv/junk.tar.gz', 'not a tarball');
    expect(await vztmpl('import', '/srv/junk.tar.gz')).toMatchObject({
      code: 47, stderr: expect.stringContaining("cannot import OS template 'junk' in"),
    });
    expect((await vztmpl('import', '/srv/junk.tar.gz')).stderr).toContain('/srv/junk.tar.gz cannot be unpacked: tar: This does not look like a tar archive');
    seedFakeTarball(fake, '/srv/noinit.tar', { 'bin/sh': 'ELF', 'etc/passwd': '' });
    expect((await vztmpl('import', '/srv/noinit.tar')).stderr).toContain('/srv/noinit.tar is not an OS template: it has no /sbin/init');
    seedFakeTarball(fake, '/srv/wrapped.tar.zst', { 'rootfs/sbin/init': 'ELF', 'rootfs/bin/sh': 'ELF', 'rootfs/etc/passwd': '' });
    const wrapped = await rt.commands.find((c) => c.name === 'import')!.run({ runtime: rt, out() {}, err() {} }, ['/srv/wrapped.tar.zst']).catch((e: unknown) => e);
    expect(wrapped).toMatchObject({ code: 'BAD_TEMPLATE', hint: expect.stringContaining('its files are all in rootfs/') });
    expect(await vztmpl('import', '/srv/none.tar.gz')).toMatchObject({ code: 91, stderr: "vztmpl: cannot import OS template 'none': /srv/none.tar.gz not found\n" });
    expect(await vztmpl('import', '/srv/file.bin')).toMatchObject({ code: 21, stderr: 'vztmpl: cannot tell a template name from /srv/file.bin\n' });
    expect(await templateDir()).toEqual([]);
  });

  it('an import killed before it finished left a partial directory: the next one removes it', async () => {
    await vztmpl('create', 'busybox');
    await vztmpl('export', 'busybox', '/srv/bb.tar.zst');
    fake.fs.seed(`${paths.template}/bb.partial-999999/etc/passwd`, 'half');
    expect((await vztmpl('import', '/srv/bb.tar.zst', '-q')).code).toBe(0);
    expect(await templateDir()).toEqual(['bb', 'busybox']);
  });
});
