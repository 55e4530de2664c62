/**
 * Host programs the template code runs, played on FakeHost: GNU tar (an archive is the
 * tree's files as JSON), zstd (present or not), util-linux's unshare (runs the program
 * after `--` and, as a pid namespace would, kills every process started meanwhile that
 * is still alive when it ends) and debootstrap's two stages, writing a small Debian tree
 * with what a real build leaves that a VE must not get.
 */
import type { FakeHost } from '@vzkit/core/testing';

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

export interface FakeDebootstrap {
  /** argv of each debootstrap run, first and second stage. */
  runs: string[][];
  /** What /usr/sbin/policy-rc.d said when the second stage began (undefined: missing). */
  policyAtSecondStage: string | undefined;
  /** Pid of the daemon a postinst started in the second stage. */
  daemonPid: number | undefined;
}

export interface FakeDebootstrapOptions {
  /** The first stage fails with this E: line. */
  failFirst?: string;
  /** The second stage installs systemd too. */
  systemd?: boolean;
  /** Packages the first stage retrieves (and the second unpacks and configures). */
  packages?: number;
}

/**
 * debootstrap --foreign ... SUITE ROOT MIRROR, and (through `chroot ROOT`) its second
 * stage: the I: lines a real run prints, a merged-/usr tree with the build host's
 * hostname and resolver, ssh host keys, apt caches, sysvinit (or systemd), and a daemon
 * a postinst starts and leaves running.
 */
export function installFakeDebootstrap(fake: FakeHost, opts: FakeDebootstrapOptions = {}): FakeDebootstrap {
  const state: FakeDebootstrap = { runs: [], policyAtSecondStage: undefined, daemonPid: undefined };
  const n = opts.packages ?? 30;
  const names = Array.from({ length: n }, (_, i) => `pkg${i}`);
  const seed = (root: string, files: Record<string, string>) => {
    for (const [path, text] of Object.entries(files)) fake.fs.seed(`${root}/${path}`, text);
  };
  fake.onRun('debootstrap', (argv, ctx) => {
    if (argv[1] === '--version') return { stdout: 'debootstrap 1.0.128+nmu2+deb12u2\n' };
    state.runs.push(argv);
    const [suite, root, mirror] = argv.slice(-3) as [string, string, string];
    ctx.write('stdout', `I: Retrieving InRelease \nI: Checking Release signature\nI: Valid Release signature (key id 4D64FEC1)\nI: Retrieving Packages \nI: Validating Packages \n`);
    ctx.write('stdout', 'I: Resolving dependencies of required packages...\nI: Resolving dependencies of base packages...\n');
    ctx.write('stdout', `I: Checking component main on ${mirror}...\n`);
    if (opts.failFirst) {
      seed(root, { 'debootstrap/debootstrap.log': `wget: unable to resolve host\n${opts.failFirst.replace(/^E: /, '')}\n` });
      return { code: 1, stdout: `${opts.failFirst}\n` };
    }
    for (const p of names) ctx.write('stdout', `I: Retrieving ${p} 1.0\nI: Validating ${p} 1.0\n`);
    for (const p of names.slice(0, n / 2)) ctx.write('stdout', `I: Extracting ${p}...\n`);
    fake.fs.seedDir(`${root}/usr/bin`).seedDir(`${root}/usr/sbin`).seedDir(`${root}/var/lib/apt/lists/partial`).seedDir(`${root}/var/cache/apt/archives/partial`);
    fake.fs.seedLink(`${root}/bin`, 'usr/bin').seedLink(`${root}/sbin`, 'usr/sbin');
    seed(root, {
      'debootstrap/debootstrap': '#!/bin/sh\n', 'debootstrap/suite': `${suite}\n`,
      'etc/hostname': 'buildhost\n', 'etc/resolv.conf': 'nameserver 10.255.255.53\n', 'etc/hosts': '127.0.0.1 localhost buildhost\n10.0.0.9 intranet\n',
      'etc/apt/sources.list': `deb ${mirror} ${suite} main\n`,
      'usr/bin/sh': 'ELF dash', 'var/lib/apt/lists/lock': '',
      [`var/lib/apt/lists/deb.debian.org_debian_dists_${suite}_main_binary-amd64_Packages`]: 'Package: a\n',
      ...Object.fromEntries(names.map((p) => [`var/cache/apt/archives/${p}_1.0_amd64.deb`, '!<arch>'])),
    });
    return 0;
  });
  fake.onRun('chroot', async (argv, ctx) => {
    const root = argv[1]!;
    if (argv[2] !== '/debootstrap/debootstrap' || argv[3] !== '--second-stage') return { code: 125, stderr: 'chroot: unexpected\n' };
    const policy = `${root}/usr/sbin/policy-rc.d`;
    state.policyAtSecondStage = (await fake.fs.exists(policy)) ? fake.fs.read(policy) : undefined;
    ctx.write('stdout', 'I: Installing core packages...\nI: Unpacking required packages...\n');
    const half = names.slice(0, n / 2);
    const rest = names.slice(n / 2);
    for (const p of half) ctx.write('stdout', `I: Unpacking ${p}...\n`);
    ctx.write('stdout', 'I: Configuring required packages...\n');
    for (const p of half) ctx.write('stdout', `I: Configuring ${p}...\n`);
    ctx.write('stdout', 'I: Unpacking the base system...\n');
    for (const p of rest) ctx.write('stdout', `I: Unpacking ${p}:amd64...\n`);
    ctx.write('stdout', 'I: Configuring the base system...\n');
    // dpkg runs some configuration twice (triggers).
    for (const p of [...rest, 'libc-bin', 'libc-bin']) ctx.write('stdout', `I: Configuring ${p}...\n`);
    const installed = ['base-files', 'sysvinit-core', 'openssh-server', 'nginx-light', ...(opts.systemd ? ['systemd'] : [])];
    seed(root, {
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
    // debootstrap removes its own directory and the policy-rc.d at the end of a good run.
    await fake.fs.remove(`${root}/debootstrap`, { recursive: true });
    if (await fake.fs.exists(policy)) await fake.fs.remove(policy);
    ctx.write('stdout', 'I: Base system installed successfully.\n');
    return 0;
  });
  return state;
}
