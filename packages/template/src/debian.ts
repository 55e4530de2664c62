/**
 * The Debian templates, `debian-<release>-<machine>` (`debian-12-x86_64`), built by
 * mmdebstrap from a mirror: minbase plus what a server VE needs, booting sysvinit rather
 * than systemd — as PID 1 of a container sysvinit needs no cgroup or sysfs set-up and runs
 * alike on cgroup v1 and v2 hosts, where systemd wants a delegated, writable cgroup tree
 * the VE does not get.
 *
 * mmdebstrap drives apt, so the build downloads as the host's apt does: from the Debian
 * mirrors of the host's sources unless told otherwise, with the host's `Acquire::`
 * settings (proxies, timeouts) and keyrings (host-apt.ts). It keeps daemons from starting
 * (a policy-rc.d while it installs) and runs in its own pid and mount namespace here:
 * whatever a postinst starts dies with it (the kernel kills the rest of a pid namespace
 * when its first process exits), and the /proc, /sys and /dev it mounts in the tree
 * vanish with it, even when vzctl is killed.
 */
import { join } from 'node:path';
import { vzError, type Host } from '@vzkit/core';
import { templateError } from './errors.js';
import { debianArch, hostMachine } from './arch.js';
import type { TemplateBuilder } from './build.js';
import { adaptDebianTree, BUILD_APT_CONF } from './debian-tree.js';
import { hostAcquireSettings, hostDebianMirrors } from './host-apt.js';
import { MmdebstrapProgress, silentProgress, type Progress } from './progress.js';
import { hasProgram } from './tarball.js';

export const DEBIAN_MIRROR = 'http://deb.debian.org/debian';
export const DEBIAN_SECURITY_MIRROR = 'http://deb.debian.org/debian-security';
/** The environment variable through which the tools name another mirror for every Debian build (read by the CLI's composition; `vztmpl create --mirror` wins). */
export const DEBIAN_MIRROR_ENV = 'VZKIT_DEBIAN_MIRROR';

/** Releases vzkit builds: version → suite. */
export const DEBIAN_SUITES: Readonly<Record<string, string>> = { '12': 'bookworm' };

/**
 * Installed on top of minbase: sysvinit (and the init scripts Debian moved to
 * orphan-sysvinit-scripts, rsyslog's among them), a syslog daemon, ssh, a small web
 * server serving /var/www/html, ifupdown networking and the usual tools. Recommends are
 * not installed, so systemd never comes in.
 */
export const DEBIAN_PACKAGES: readonly string[] = [
  'sysvinit-core', 'orphan-sysvinit-scripts', 'rsyslog', 'openssh-server', 'nginx-light', 'ifupdown', 'iproute2',
  'iputils-ping', 'netbase', 'procps', 'less', 'ca-certificates', 'cron', 'logrotate',
];

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
  securityMirror: string;
  progress: Progress;
}

/** What the build runs in: see the module comment. */
const CONTAINED = ['unshare', '--fork', '--pid', '--mount', '--propagation', 'private', '--kill-child', '--'];
const BUILD_ENV = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  LC_ALL: 'C',
  DEBIAN_FRONTEND: 'noninteractive',
  DEBCONF_NONINTERACTIVE_SEEN: 'true',
};
/** A build still running after this is stuck (a mirror that stopped answering). */
const BUILD_TIMEOUT_MS = 45 * 60_000;

/** The stamp's `source` for a build of `suite` from `mirror`. */
export function debianSource(suite: string, mirror: string): string {
  return `mmdebstrap:${suite}:${mirror}`;
}

/** The apt sources of a build of `suite` (and of the VEs made from it): the release, its updates and security. */
export function debianSources(suite: string, mirror: string, securityMirror: string): string[] {
  return [`deb ${mirror} ${suite} main`, `deb ${mirror} ${suite}-updates main`, `deb ${securityMirror} ${suite}-security main`];
}

/** mmdebstrap's command line for a build into `root` (empty but for the apt settings file, when given). */
export function mmdebstrapArgv(b: DebianBuild, root: string, aptConf: string | undefined): string[] {
  return [
    'mmdebstrap', '--verbose', '--mode=root', '--format=directory', '--variant=minbase', `--arch=${b.arch}`,
    `--include=${DEBIAN_PACKAGES.join(',')}`,
    ...(aptConf ? [`--aptopt=${aptConf}`, '--skip=check/empty'] : []),
    b.suite, root, ...debianSources(b.suite, b.mirror, b.securityMirror),
  ];
}

/** One line for a failed build: an unreachable mirror says so, anything else gives mmdebstrap's first error. */
function buildError(parser: MmdebstrapProgress, code: number, output: string): Error {
  if (parser.fetchError) {
    const { url, reason } = parser.fetchError;
    return templateError('TEMPLATE_DOWNLOAD', `cannot reach the Debian mirror: ${reason} (${url})`, {
      hint: 'check the network and apt\'s proxy settings, or give another mirror: vztmpl create NAME --mirror URL',
    });
  }
  const said = parser.firstError ?? output.split('\n').filter((l) => l.trim()).pop() ?? '';
  return vzError('SYSTEM', `mmdebstrap failed with status ${code}${said ? `: ${said}` : ''}`);
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
  const parser = new MmdebstrapProgress(b.progress);
  const acquire = await hostAcquireSettings(host);
  // In the tree (mmdebstrap reads it at once): gone with the tree if the build fails.
  const aptConf = acquire ? join(root, BUILD_APT_CONF) : undefined;
  if (aptConf) await host.fs.writeFile(aptConf, acquire, { mode: 0o600 });
  const r = await host.processes.run([...CONTAINED, ...mmdebstrapArgv(b, root, aptConf)], {
    env: BUILD_ENV, timeoutMs: BUILD_TIMEOUT_MS, onLine: (line) => parser.line(line),
  });
  if (r.code !== 0) throw buildError(parser, r.code, `${r.stdout}\n${r.stderr}`);
  b.progress('adapting the tree for a VE');
  await adaptDebianTree(host, root, debianSources(b.suite, b.mirror, b.securityMirror));
  await checkInit(host, root);
}

/**
 * The builder of Debian template `name`: undefined for names of other families;
 * TEMPLATE_NOT_FOUND for a Debian release vzkit does not build or another machine than
 * the host's (the build runs the new system's programs). The mirror is `opts.mirror`,
 * else the host's apt sources' Debian mirror, else deb.debian.org.
 */
export async function debianBuilder(host: Host, name: string, opts: { mirror?: string; progress?: Progress }): Promise<TemplateBuilder | undefined> {
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
  const hosts = await hostDebianMirrors(host);
  const mirror = checkMirror(opts.mirror ?? hosts.archive ?? DEBIAN_MIRROR);
  const securityMirror = checkMirror(hosts.security ?? DEBIAN_SECURITY_MIRROR);
  return {
    name,
    source: debianSource(suite!, mirror),
    cached: true,
    async check() {
      if (!(await hasProgram(host, 'mmdebstrap'))) {
        throw vzError('TEMPLATE_NOT_FOUND', `OS template '${name}' cannot be built: mmdebstrap not found`, {
          hint: 'install the mmdebstrap package (apt-get install mmdebstrap)',
        });
      }
    },
    fill: (root) => fillDebian(host, root, { suite: suite!, arch, mirror, securityMirror, progress: opts.progress ?? silentProgress }),
  };
}

/** The Debian template this host can build (`debian-12-x86_64`), if Debian has a port for it. */
export async function buildableDebian(host: Host): Promise<string[]> {
  const machine = await hostMachine(host);
  return debianArch(machine) ? Object.keys(DEBIAN_SUITES).map((r) => `debian-${r}-${machine}`) : [];
}
