/**
 * The embedded `busybox` template: a minimal system made from the host's statically
 * linked busybox (Debian's busybox-static), its applet links, and just enough of /etc for
 * busybox init, login and a web server. It needs no download, so tests and first-time
 * users always have a template.
 */
import { join } from 'node:path';
import { vzError, type Host } from '@vzkit/core';
import { buildTemplate, type TemplateBuilder } from './build.js';
import { isTemplateComplete, templatePath } from './layout.js';

export const BUSYBOX_TEMPLATE = 'busybox';
/** Where Debian's busybox-static installs its binary; static, so it runs in an empty root. */
export const HOST_BUSYBOX = '/bin/busybox';

/** Applet links in /bin (tools a user runs). */
export const BIN_APPLETS: readonly string[] = [
  'sh', 'ash', 'cat', 'ls', 'ps', 'mount', 'umount', 'hostname', 'sleep', 'usleep', 'echo', 'printf', 'pwd',
  'logger', 'logread', 'ping', 'ping6', 'wget', 'nc', 'netstat', 'nslookup', 'traceroute', 'telnet',
  'vi', 'top', 'free', 'df', 'du', 'mkdir', 'rmdir', 'rm', 'cp', 'mv', 'ln', 'chmod', 'chown', 'chgrp',
  'grep', 'egrep', 'fgrep', 'sed', 'awk', 'head', 'tail', 'wc', 'sort', 'uniq', 'cut', 'tr', 'tee', 'xargs', 'find',
  'diff', 'cmp', 'od', 'hexdump', 'expr', 'md5sum', 'sha256sum', 'tar', 'gzip', 'gunzip', 'zcat',
  'kill', 'killall', 'pidof', 'env', 'id', 'whoami', 'groups', 'uname', 'date', 'true', 'false', 'test', '[', '[[',
  'touch', 'sync', 'dmesg', 'more', 'less', 'login', 'passwd', 'su', 'crontab', 'ipcs', 'ipcrm',
  'nproc', 'uptime', 'stat', 'readlink', 'realpath', 'seq', 'yes', 'basename', 'dirname', 'which', 'mktemp',
  'mknod', 'mkfifo', 'setsid', 'nohup', 'timeout', 'watch', 'nice', 'renice', 'stty', 'tty', 'clear', 'reset',
  'dd', 'run-parts', 'w', 'who',
];

/** Applet links in /sbin (system tools). */
export const SBIN_APPLETS: readonly string[] = [
  'init', 'halt', 'poweroff', 'reboot', 'syslogd', 'klogd', 'httpd', 'ip', 'ifconfig', 'route',
  'getty', 'sulogin', 'crond', 'adduser', 'deluser', 'addgroup', 'delgroup', 'chroot', 'sysctl', 'start-stop-daemon',
];

/** Links in /usr/bin for scripts that name the usual path (`#!/usr/bin/env`). */
export const USR_BIN_APPLETS: readonly string[] = ['env'];

/**
 * The applet names compiled into a busybox binary, read from its name table (the
 * NUL-separated, sorted list that starts with `[`); undefined when the table is not
 * found. Links to applets the binary lacks would only print "applet not found".
 */
export function busyboxApplets(binary: string): Set<string> | undefined {
  for (let at = binary.indexOf('\0[\0'); at >= 0; at = binary.indexOf('\0[\0', at + 1)) {
    const names: string[] = [];
    for (const name of binary.slice(at + 1, at + 1 + 16_384).split('\0')) {
      if (!/^[a-z0-9_.[\]-]+$/.test(name)) break;
      names.push(name);
    }
    const sorted = names.every((n, i) => i === 0 || names[i - 1]! < n);
    if (names.length >= 10 && sorted && names.includes('sh')) return new Set(names);
  }
  return undefined;
}

const INITTAB = `# vzkit busybox template. The VE has no console reader, so there are no
# respawn or askfirst entries: init runs rcS once and then waits.
::sysinit:/etc/init.d/rcS
::shutdown:/etc/init.d/rcK
`;

const RCS = `#!/bin/sh
# Run once by init at VE start. vzkit has already mounted /proc, /sys and /dev.
# The VE has no console: print nothing.
PATH=/sbin:/bin:/usr/sbin:/usr/bin
export PATH
syslogd
if [ -d /var/www ]; then
  httpd -h /var/www
fi
exit 0
`;

const RCK = `#!/bin/sh
# Run by init when the VE stops (before it signals everything left).
PATH=/sbin:/bin:/usr/sbin:/usr/bin
export PATH
killall -q httpd
killall -q syslogd
exit 0
`;

const PROFILE = `export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PS1='\\u@\\h:\\w\\$ '
umask 022
`;

interface Entry {
  path: string;
  mode: number;
  text?: string;
  link?: string;
  dir?: true;
}

/** The directories and files of the tree, besides the binary and its applet links. */
export const BUSYBOX_TREE: readonly Entry[] = [
  ...['/bin', '/sbin', '/etc', '/etc/init.d', '/proc', '/sys', '/dev', '/run', '/home', '/mnt',
    '/usr', '/usr/bin', '/usr/sbin', '/var', '/var/log', '/var/run', '/var/spool', '/var/spool/cron',
    '/var/spool/cron/crontabs'].map((path): Entry => ({ path, mode: 0o755, dir: true })),
  { path: '/root', mode: 0o700, dir: true },
  { path: '/tmp', mode: 0o1777, dir: true },
  { path: '/etc/inittab', mode: 0o644, text: INITTAB },
  { path: '/etc/init.d/rcS', mode: 0o755, text: RCS },
  { path: '/etc/init.d/rcK', mode: 0o755, text: RCK },
  { path: '/etc/passwd', mode: 0o644, text: 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' },
  { path: '/etc/group', mode: 0o644, text: 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\n' },
  // `!` locks root's password until one is set; `vzctl enter` needs none.
  { path: '/etc/shadow', mode: 0o640, text: 'root:!:0:0:99999:7:::\nnobody:*:0:0:99999:7:::\n' },
  { path: '/etc/hostname', mode: 0o644, text: 'localhost\n' },
  { path: '/etc/hosts', mode: 0o644, text: '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' },
  { path: '/etc/resolv.conf', mode: 0o644, text: '' },
  { path: '/etc/profile', mode: 0o644, text: PROFILE },
  { path: '/etc/shells', mode: 0o644, text: '/bin/sh\n/bin/ash\n' },
  { path: '/etc/mtab', mode: 0o777, link: '/proc/mounts' },
];

/** Fills `root` with the busybox system; only applets the host's binary has get a link. */
async function fillBusybox(host: Host, root: string): Promise<void> {
  const fs = host.fs;
  for (const e of BUSYBOX_TREE) {
    const at = join(root, e.path);
    if (e.dir) {
      await fs.mkdir(at, { mode: e.mode });
      await fs.chmod(at, e.mode); // mkdir's mode passes through the umask and drops the sticky bit
    } else if (e.link !== undefined) {
      await fs.symlink(e.link, at);
    } else {
      await fs.writeFile(at, e.text ?? '', { mode: e.mode });
      await fs.chmod(at, e.mode);
    }
  }
  await fs.copyFile(HOST_BUSYBOX, join(root, 'bin/busybox'), { mode: 0o755 });
  await fs.chmod(join(root, 'bin/busybox'), 0o755);
  const has = busyboxApplets(await fs.readFile(HOST_BUSYBOX));
  const links: Array<[string, readonly string[], string]> = [
    ['bin', BIN_APPLETS, 'busybox'],
    ['sbin', SBIN_APPLETS, '../bin/busybox'],
    ['usr/bin', USR_BIN_APPLETS, '../../bin/busybox'],
  ];
  for (const [dir, applets, target] of links) {
    for (const applet of applets) {
      if (has && !has.has(applet)) continue;
      // Relative targets: the link is right inside the VE and points nowhere odd on the host.
      await fs.symlink(target, join(root, dir, applet));
    }
  }
}

/** The builder of the busybox template: quick and local, so never cached. */
export function busyboxBuilder(host: Host): TemplateBuilder {
  return {
    name: BUSYBOX_TEMPLATE,
    source: `busybox:${HOST_BUSYBOX}`,
    cached: false,
    async check() {
      if (!(await host.fs.exists(HOST_BUSYBOX))) {
        throw vzError('TEMPLATE_NOT_FOUND', `OS template '${BUSYBOX_TEMPLATE}' cannot be built: ${HOST_BUSYBOX} not found`, {
          path: HOST_BUSYBOX, hint: 'install the busybox-static package (apt-get install busybox-static)',
        });
      }
    },
    fill: (root) => fillBusybox(host, root),
  };
}

/**
 * Builds the busybox template in `dir` from the host's /bin/busybox (unless it is already
 * there) and resolves with its path. TEMPLATE_NOT_FOUND when the host has no busybox.
 */
export async function buildBusyboxTemplate(host: Host, dir: string): Promise<string> {
  if (await isTemplateComplete(host, dir, BUSYBOX_TEMPLATE)) return templatePath(dir, BUSYBOX_TEMPLATE);
  const b = busyboxBuilder(host);
  await b.check();
  return buildTemplate(host, dir, b.name, b.source, b.fill);
}
