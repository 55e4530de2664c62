/**
 * The Debian templates, `debian-<release>-<machine>` (`debian-12-x86_64`), built by
 * Debian's own debootstrap from a mirror: minbase plus what a server VE needs, booting
 * sysvinit rather than systemd — as PID 1 of a container sysvinit needs no cgroup or
 * sysfs set-up and runs alike on cgroup v1 and v2 hosts, where systemd wants a delegated,
 * writable cgroup tree the VE does not get.
 *
 * The build runs in two stages so that a policy-rc.d (exit 101: start nothing) is in the
 * tree before any package's postinst runs: the first stage (`--foreign`) downloads and
 * unpacks on the host, the second configures inside the tree (chroot). Each stage runs in
 * its own pid and mount namespace: whatever a postinst starts dies with debootstrap
 * (the kernel kills the rest of a pid namespace when its first process exits), and the
 * /proc and /sys debootstrap mounts in the tree vanish with it, even when vzctl is killed.
 */
import { join } from 'node:path';
import { vzError, type Host } from '@vzkit/core';
import { debianArch, hostMachine } from './arch.js';
import type { TemplateBuilder } from './build.js';
import { adaptDebianTree } from './debian-tree.js';
import { DebootstrapProgress, silentProgress, type Progress } from './progress.js';
import { hasProgram } from './tarball.js';

export const DEBIAN_MIRROR = 'http://deb.debian.org/debian';
/** Another mirror for every Debian build (`vztmpl create --mirror` wins). */
export const DEBIAN_MIRROR_ENV = 'VZKIT_DEBIAN_MIRROR';

/** Releases vzkit builds: version → suite. */
export const DEBIAN_SUITES: Readonly<Record<string, string>> = { '12': 'bookworm' };

/**
 * Installed on top of debootstrap's minbase: sysvinit (and the init scripts Debian moved
 * to orphan-sysvinit-scripts, rsyslog's among them), a syslog daemon, ssh, a small web
 * server serving /var/www/html, ifupdown networking and the usual tools.
 */
export const DEBIAN_PACKAGES: readonly string[] = [
  'sysvinit-core', 'orphan-sysvinit-scripts', 'rsyslog', 'openssh-server', 'nginx-light', 'ifupdown', 'iproute2',
  'iputils-ping', 'netbase', 'procps', 'less', 'ca-certificates', 'cron', 'logrotate',
];
/** Never installed: the init that sysvinit replaces. */
export const DEBIAN_EXCLUDES: readonly string[] = ['systemd', 'systemd-sysv'];

/** The parts of a Debian template name. */
export interface DebianName {
  /** `12` */
  release: string;
  /** `uname -m` style: `x86_64`. */
  machine: string;
}

/** `debian-12-x86_64` → its parts; undefined for names of other families. */
export function parseDebianName(name: string): DebianName | undefined {
  const m = /^debian-(\d+)-([a-z0-9_]+)$/.exec(name);
  return m ? { release: m[1]!, machine: m[2]! } : undefined;
}

/** Checks and normalizes a mirror URL (no trailing slash). */
export function checkMirror(mirror: string): string {
  if (!/^(https?|ftp|file):\/\/[^\s'"]+$/.test(mirror)) {
    throw vzError('BAD_VALUE', `invalid Debian mirror '${mirror}'`, { hint: `a URL such as ${DEBIAN_MIRROR}` });
  }
  return mirror.replace(/\/+$/, '');
}

export interface DebianBuild {
  suite: string;
  /** Debian's architecture name (amd64). */
  arch: string;
  mirror: string;
  progress: Progress;
}

/** What every stage runs in: see the module comment. */
const CONTAINED = ['unshare', '--fork', '--pid', '--mount', '--propagation', 'private', '--kill-child', '--'];
const BUILD_ENV = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  LC_ALL: 'C',
  DEBIAN_FRONTEND: 'noninteractive',
  DEBCONF_NONINTERACTIVE_SEEN: 'true',
};
/** A stage still running after this is stuck (a mirror that stopped answering). */
const STAGE_TIMEOUT_MS = 45 * 60_000;

/** The stamp's `source` for a build of `suite` from `mirror`. */
export function debianSource(suite: string, mirror: string): string {
  return `debootstrap:${suite}:${mirror}`;
}

/** The last lines of debootstrap's own log in the tree, which say why a stage failed. */
async function logTail(host: Host, root: string): Promise<string | undefined> {
  const log = join(root, 'debootstrap/debootstrap.log');
  if (!(await host.fs.exists(log))) return undefined;
  const lines = (await host.fs.readFile(log)).split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.length ? lines.slice(-3).join(' | ') : undefined;
}

async function stage(host: Host, root: string, what: string, argv: string[], parser: DebootstrapProgress): Promise<void> {
  const r = await host.processes.run([...CONTAINED, ...argv], {
    env: BUILD_ENV, timeoutMs: STAGE_TIMEOUT_MS, onLine: (line) => parser.line(line),
  });
  if (r.code === 0) return;
  const said = parser.lastError ?? `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => l.trim()).pop() ?? '';
  const log = await logTail(host, root);
  throw vzError('SYSTEM', `debootstrap (${what}) failed with status ${r.code}${said ? `: ${said}` : ''}`, {
    ...(log ? { hint: `its log ends: ${log}` } : {}),
  });
}

/** The packages dpkg's status file says are installed. */
export function installedPackages(status: string): Set<string> {
  const out = new Set<string>();
  for (const para of status.split(/\n\s*\n/)) {
    const pkg = /^Package: (\S+)$/m.exec(para)?.[1];
    if (pkg && /^Status: install ok installed$/m.test(para)) out.add(pkg);
  }
  return out;
}

/** What the template promises, checked: it boots sysvinit, not systemd. */
async function checkInit(host: Host, root: string): Promise<void> {
  const installed = installedPackages(await host.fs.readFile(join(root, 'var/lib/dpkg/status')));
  if (!installed.has('sysvinit-core') || installed.has('systemd')) {
    throw vzError('BAD_TEMPLATE', `the new system boots ${installed.has('systemd') ? 'systemd' : 'no init'} instead of sysvinit`);
  }
}

/** Fills `root` (empty) with a Debian system for VEs. */
export async function fillDebian(host: Host, root: string, b: DebianBuild): Promise<void> {
  const parser = new DebootstrapProgress(b.progress);
  await stage(host, root, 'first stage', [
    'debootstrap', '--foreign', '--variant=minbase', `--arch=${b.arch}`,
    `--include=${DEBIAN_PACKAGES.join(',')}`, `--exclude=${DEBIAN_EXCLUDES.join(',')}`, b.suite, root, b.mirror,
  ], parser);
  // debootstrap writes its own policy-rc.d only before configuring the required packages;
  // ours covers the core packages it installs first, and it removes both at its end.
  const policy = join(root, 'usr/sbin/policy-rc.d');
  await host.fs.writeFile(policy, '#!/bin/sh\n# vzkit template build: start no service\nexit 101\n', { mode: 0o755 });
  await host.fs.chmod(policy, 0o755);
  await stage(host, root, 'second stage', ['chroot', root, '/debootstrap/debootstrap', '--second-stage'], parser);
  b.progress('adapting the tree for a VE');
  await adaptDebianTree(host, root, b.mirror, b.suite);
  await checkInit(host, root);
}

/**
 * The builder of Debian template `name`: undefined for names of other families;
 * TEMPLATE_NOT_FOUND for a Debian release vzkit does not build or another machine than
 * the host's (debootstrap's second stage runs the new system's programs).
 */
export async function debianBuilder(host: Host, name: string, opts: { mirror: string; progress?: Progress }): Promise<TemplateBuilder | undefined> {
  const parsed = parseDebianName(name);
  if (!parsed) return undefined;
  const suite = DEBIAN_SUITES[parsed.release];
  const machine = await hostMachine(host);
  const why = !suite
    ? `vzkit builds Debian ${Object.keys(DEBIAN_SUITES).join(', ')} only`
    : parsed.machine !== machine ? `this host is ${machine}, and only its own architecture can be built` : undefined;
  const arch = debianArch(machine);
  if (why || !arch) {
    throw vzError('TEMPLATE_NOT_FOUND', `OS template '${name}' cannot be built: ${why ?? `Debian has no ${machine} port`}`, {
      hint: 'import a tarball of it made elsewhere: vztmpl import FILE',
    });
  }
  const mirror = checkMirror(opts.mirror);
  return {
    name,
    source: debianSource(suite!, mirror),
    cached: true,
    async check() {
      if (!(await hasProgram(host, 'debootstrap'))) {
        throw vzError('TEMPLATE_NOT_FOUND', `OS template '${name}' cannot be built: debootstrap not found`, {
          hint: 'install the debootstrap package (apt-get install debootstrap)',
        });
      }
    },
    fill: (root) => fillDebian(host, root, { suite: suite!, arch, mirror, progress: opts.progress ?? silentProgress }),
  };
}

/** The Debian template this host can build (`debian-12-x86_64`), if Debian has a port for it. */
export async function buildableDebian(host: Host): Promise<string[]> {
  const machine = await hostMachine(host);
  return debianArch(machine) ? Object.keys(DEBIAN_SUITES).map((r) => `debian-${r}-${machine}`) : [];
}
