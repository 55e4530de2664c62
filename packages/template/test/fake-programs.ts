/**
 * Host programs the template code runs, played on FakeHost: GNU tar (an archive is the
 * tree's files as JSON), zstd (present or not), util-linux's unshare (runs the program
 * after `--` and, as a pid namespace would, kills every process started meanwhile that
 * is still alive when it ends) and mmdebstrap, writing a small Debian tree with what a
 * real build leaves that a VE must not get.
 */
import type { FakeHost } from '@vzkit/fake-host';

interface ArchivedFile {
  path: string;
  type: 'file' | 'dir' | 'symlink';
  mode: number;
  text?: string;
  target?: string;
}

const TAR_MAGIC = 'FAKE-TAR-1 ';

function value(argv: string[], flag: string): string {
  const i = argv.indexOf(flag);
  if (i < 0 || argv[i + 1] === undefined) throw new Error(`fake tar: ${flag} missing in ${argv.join(' ')}`);
  return argv[i + 1]!;
}

/** tar --create/--extract --file F ... --directory D; the compression flag is recorded and ignored. */
export function installFakeTar(fake: FakeHost): void {
  fake.onRun('tar', async (argv) => {
    const file = value(argv, '--file');
    const dir = value(argv, '--directory');
    if (argv.includes('--create')) {
      if (!(await fake.fs.exists(file.slice(0, file.lastIndexOf('/')) || '/'))) {
        return { code: 2, stderr: `tar: ${file}: Cannot open: No such file or directory\ntar: Error is not recoverable: exiting now\n` };
      }
      const entries: ArchivedFile[] = [];
      const walk = async (rel: string): Promise<void> => {
        for (const name of (await fake.fs.readdir(`${dir}${rel}`)).sort()) {
          const path = `${rel}/${name}`;
          const st = (await fake.fs.stat(`${dir}${path}`))!;
          if (st.type === 'dir') {
            entries.push({ path, type: 'dir', mode: st.mode });
            await walk(path);
          } else if (st.type === 'symlink') entries.push({ path, type: 'symlink', mode: st.mode, target: await fake.fs.readlink(`${dir}${path}`) });
          else entries.push({ path, type: 'file', mode: st.mode, text: await fake.fs.readFile(`${dir}${path}`) });
        }
      };
      await walk('');
      const flags = argv.filter((a) => /^--(zstd|gzip|xz|bzip2)$/.test(a));
      await fake.fs.writeFile(file, `${TAR_MAGIC}${JSON.stringify({ flags, entries })}`);
      return 0;
    }
    if (!(await fake.fs.exists(file))) return { code: 2, stderr: `tar: ${file}: Cannot open: No such file or directory\n` };
    const text = await fake.fs.readFile(file);
    if (!text.startsWith(TAR_MAGIC)) return { code: 2, stderr: 'tar: This does not look like a tar archive\ntar: Exiting with failure status\n' };
    const { entries } = JSON.parse(text.slice(TAR_MAGIC.length)) as { entries: ArchivedFile[] };
    for (const e of entries) {
      const at = `${dir}${e.path}`;
      if (e.type === 'dir') await fake.fs.mkdir(at);
      else if (e.type === 'symlink') await fake.fs.symlink(e.target!, at);
      else await fake.fs.writeFile(at, e.text!);
      if (e.type !== 'symlink') await fake.fs.chmod(at, e.mode);
    }
    return 0;
  });
}

/** The archive fake tar wrote: the paths in it and the compression flags it was given. */
export function fakeArchive(fake: FakeHost, file: string): { flags: string[]; paths: string[] } {
  const { flags, entries } = JSON.parse(fake.fs.read(file).slice(TAR_MAGIC.length)) as { flags: string[]; entries: ArchivedFile[] };
  return { flags, paths: entries.map((e) => e.path) };
}

/** Writes a tarball fake tar can read, of the given files (relative path → text). */
export function seedFakeTarball(fake: FakeHost, file: string, files: Record<string, string>): void {
  const entries: ArchivedFile[] = [];
  for (const [path, text] of Object.entries(files)) {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = `/${parts.slice(0, i).join('/')}`;
      if (!entries.some((e) => e.path === dir)) entries.push({ path: dir, type: 'dir', mode: 0o755 });
    }
    entries.push({ path: `/${path}`, type: 'file', mode: 0o755, text });
  }
  fake.fs.seed(file, `${TAR_MAGIC}${JSON.stringify({ flags: [], entries })}`);
}

export function installFakeZstd(fake: FakeHost): void {
  fake.onRun('zstd', () => ({ stdout: '*** Zstandard CLI (64-bit) v1.5.4 ***\n' }));
}

/** unshare OPTIONS -- PROGRAM ARGS: runs the program; what it left running is killed. */
export function installFakeUnshare(fake: FakeHost): { calls: string[][] } {
  const calls: string[][] = [];
  fake.onRun('unshare', async (argv, ctx) => {
    calls.push(argv);
    const before = new Set(fake.processes.list().map((p) => p.pid));
    const inner = argv.slice(argv.indexOf('--') + 1);
    const { onLine: _streamedByUs, ...opts } = ctx;
    try {
      return await fake.processes.run(inner, { ...(opts.env ? { env: opts.env } : {}), ...(opts.input !== undefined ? { input: opts.input } : {}) });
    } finally {
      if (argv.includes('--pid')) {
        for (const p of fake.processes.list()) if (!before.has(p.pid) && p.pid !== ctx.pid) await fake.processes.signal(p.pid, 'SIGKILL');
      }
    }
  });
  return { calls };
}

/** Debian 12's /etc/inittab as sysvinit-core installs it. */
export const BOOKWORM_INITTAB = `# /etc/inittab: init(8) configuration.
# $Id: inittab,v 1.91 2002/01/25 13:35:21 miquels Exp $

# The default runlevel.
id:2:initdefault:

# Boot-time system configuration/initialization script.
# This is run first except when booting in emergency (-b) mode.
si::sysinit:/etc/init.d/rcS

# What to do in single-user mode.
~~:S:wait:/sbin/sulogin --force

l0:0:wait:/etc/init.d/rc 0
l1:1:wait:/etc/init.d/rc 1
l2:2:wait:/etc/init.d/rc 2
l3:3:wait:/etc/init.d/rc 3
l4:4:wait:/etc/init.d/rc 4
l5:5:wait:/etc/init.d/rc 5
l6:6:wait:/etc/init.d/rc 6
# Normally not reached, but fallthrough in case of emergency.
z6:6:respawn:/sbin/sulogin --force

# What to do when CTRL-ALT-DEL is pressed.
ca:12345:ctrlaltdel:/sbin/shutdown -t1 -a -r now

# What to do when the power fails/returns.
pf::powerwait:/etc/init.d/powerfail start
pn::powerfailnow:/etc/init.d/powerfail now
po::powerokwait:/etc/init.d/powerfail stop

# /sbin/getty invocations for the runlevels.
#
# Id field must be the same as the last
# characters of the device (after "tty").
#
# Format:
#  <id>:<runlevels>:<action>:<process>
#
1:2345:respawn:/sbin/getty --noclear 38400 tty1
2:23:respawn:/sbin/getty 38400 tty2
3:23:respawn:/sbin/getty 38400 tty3
4:23:respawn:/sbin/getty 38400 tty4
5:23:respawn:/sbin/getty 38400 tty5
6:23:respawn:/sbin/getty 38400 tty6

# Example how to put a getty on a serial line (for a terminal)
#
#T0:23:respawn:/sbin/getty -L ttyS0 9600 vt100
#T1:23:respawn:/sbin/getty -L ttyS1 9600 vt100
`;

export interface FakeMmdebstrap {
  /** argv of each mmdebstrap run. */
  runs: string[][];
  /** What the file given with --aptopt held when mmdebstrap read it (undefined: no --aptopt). */
  aptopt: string | undefined;
  /** Pid of the daemon a postinst started. */
  daemonPid: number | undefined;
}

export interface FakeMmdebstrapOptions {
  /** apt cannot fetch the package lists: `E: Failed to fetch URL  <this reason>`. */
  unreachable?: string;
  /** Fails later with this E: line. */
  fail?: string;
  /** systemd gets installed too. */
  systemd?: boolean;
  /** Packages installed in all (half essential, half the rest). */
  packages?: number;
}

/**
 * mmdebstrap --verbose ... SUITE ROOT SOURCE...: the lines a real bookworm run prints
 * (its I: stages, apt's counts and Get: lines, dpkg's Unpacking/Setting up), a
 * merged-/usr tree with the build host's hostname and resolver, ssh host keys, apt
 * caches, the --aptopt settings kept in 99mmdebstrap, sysvinit (or systemd), and a
 * daemon a postinst starts and leaves running.
 */
export function installFakeMmdebstrap(fake: FakeHost, opts: FakeMmdebstrapOptions = {}): FakeMmdebstrap {
  const state: FakeMmdebstrap = { runs: [], aptopt: undefined, daemonPid: undefined };
  const n = opts.packages ?? 30;
  const names = Array.from({ length: n }, (_, i) => `pkg${i}`);
  const seed = (root: string, files: Record<string, string>) => {
    for (const [path, text] of Object.entries(files)) fake.fs.seed(`${root}/${path}`, text);
  };
  fake.onRun('mmdebstrap', async (argv, ctx) => {
    if (argv[1] === '--version') return { stdout: 'mmdebstrap 1.3.5\n' };
    state.runs.push(argv);
    const positional = argv.slice(1).filter((a) => !a.startsWith('--'));
    const [suite, root, ...sources] = positional as [string, string, ...string[]];
    const aptopt = argv.find((a) => a.startsWith('--aptopt='))?.slice('--aptopt='.length);
    state.aptopt = aptopt === undefined ? undefined : fake.fs.read(aptopt);
    const entries = fake.fs.readdirSync(root);
    if (entries.some((e) => `${root}/${e}` !== aptopt) || (aptopt && !argv.includes('--skip=check/empty'))) {
      return { code: 1, stderr: `E: ${root} is not empty\n` };
    }
    const mirror = sources[0]!.split(' ')[1]!;
    const say = (text: string) => ctx.write('stderr', text);
    say('I: chroot architecture amd64 is equal to the host\'s architecture\nI: running apt-get update...\n');
    say(`Get:1 ${mirror} ${suite} InRelease [151 kB]\nGet:2 ${mirror} ${suite}/main amd64 Packages [8788 kB]\n`);
    if (opts.unreachable) {
      say(`Err:1 ${mirror} ${suite} InRelease\n  ${opts.unreachable}\n`);
      say(`E: Failed to fetch ${mirror}/dists/${suite}/InRelease  ${opts.unreachable}\n`);
      say('E: Some index files failed to download. They have been ignored, or old ones used instead.\nE: mmdebstrap failed to run\n');
      return 1;
    }
    const half = names.slice(0, n / 2);
    const rest = names.slice(n / 2);
    const get = (list: string[], from: number) => list.forEach((p, i) => say(`Get:${from + i} ${mirror} ${suite}/main amd64 ${p} amd64 1.0-1 [100 kB]\n`));
    say('I: downloading packages with apt...\nReading package lists...\n');
    say(`0 upgraded, ${half.length} newly installed, 0 to remove and 0 not upgraded.\n`);
    get(half, 3);
    say('I: extracting archives...\nI: installing essential packages...\n');
    for (const p of half) say(`Unpacking ${p} (1.0-1) ...\nSetting up ${p} (1.0-1) ...\n`);
    if (opts.fail) {
      say(`${opts.fail}\nE: mmdebstrap failed to run\n`);
      return 1;
    }
    say('I: installing remaining packages inside the chroot...\n');
    say(`0 upgraded, ${rest.length} newly installed, 0 to remove and 0 not upgraded.\n`);
    get(rest, 3 + half.length);
    for (const p of rest) say(`Unpacking ${p} (1.0-1) ...\n`);
    // dpkg sets some packages up twice (triggers).
    for (const p of [...rest, 'libc-bin', 'libc-bin']) say(`Setting up ${p} (1.0-1) ...\n`);
    fake.fs.seedDir(`${root}/usr/bin`).seedDir(`${root}/usr/sbin`).seedDir(`${root}/var/lib/apt/lists/partial`).seedDir(`${root}/var/cache/apt/archives/partial`);
    fake.fs.seedLink(`${root}/bin`, 'usr/bin').seedLink(`${root}/sbin`, 'usr/sbin');
    const installed = ['base-files', 'sysvinit-core', 'openssh-server', 'nginx-light', ...(opts.systemd ? ['systemd'] : [])];
    seed(root, {
      'etc/hostname': 'buildhost\n', 'etc/resolv.conf': 'nameserver 10.255.255.53\n', 'etc/hosts': '127.0.0.1 localhost buildhost\n10.0.0.9 intranet\n',
      'etc/apt/sources.list': sources.map((l) => `${l}\n`).join(''),
      'etc/apt/apt.conf.d/70debconf': '// debconf\n',
      ...(state.aptopt !== undefined ? { 'etc/apt/apt.conf.d/99mmdebstrap': state.aptopt } : {}),
      'usr/bin/sh': 'ELF dash', 'var/lib/apt/lists/lock': '',
      [`var/lib/apt/lists/deb.debian.org_debian_dists_${suite}_main_binary-amd64_Packages`]: 'Package: a\n',
      ...Object.fromEntries(names.map((p) => [`var/cache/apt/archives/${p}_1.0_amd64.deb`, '!<arch>'])),
      'etc/inittab': BOOKWORM_INITTAB, 'etc/fstab': '# UNCONFIGURED FSTAB FOR BASE SYSTEM\n',
      'etc/ssh/sshd_config': 'Include /etc/ssh/sshd_config.d/*.conf\n',
      'etc/ssh/ssh_host_ed25519_key': 'PRIVATE', 'etc/ssh/ssh_host_ed25519_key.pub': 'ssh-ed25519 AAAA root@buildhost',
      'etc/ssh/ssh_host_rsa_key': 'PRIVATE', 'etc/ssh/ssh_host_rsa_key.pub': 'ssh-rsa AAAA root@buildhost',
      'usr/sbin/init': 'ELF sysvinit', 'usr/sbin/sshd': 'ELF sshd', 'usr/sbin/nginx': 'ELF nginx',
      'var/www/html/index.nginx-debian.html': '<h1>Welcome to nginx!</h1>\n',
      'var/cache/apt/pkgcache.bin': 'cache', 'var/cache/apt/srcpkgcache.bin': 'cache',
      'var/lib/dpkg/status': installed.map((p) => `Package: ${p}\nStatus: install ok installed\nVersion: 1\n`).join('\n'),
    });
    // A postinst that starts its daemon although it was told not to.
    state.daemonPid = fake.processes.spawn(ctx.pid, ['/usr/sbin/nginx']);
    say('I: cleaning package lists and apt cache...\nI: success in 18.1896 seconds\n');
    return 0;
  });
  return state;
}

/** The host's `apt-config dump Acquire`. */
export function installFakeAptConfig(fake: FakeHost, dump: string): void {
  fake.onRun('apt-config', (argv) => (argv[1] === 'dump' ? { stdout: dump } : { code: 100, stderr: 'E: Invalid operation\n' }));
}
