/**
 * What turns a fresh mmdebstrap tree into a template for VEs. A VE has no consoles, no
 * disks of its own to mount and its own name, keys and resolver: the getty lines go from
 * inittab (init would respawn them forever on ttys the VE lacks), fstab is empty, the
 * build host's hostname, hosts and resolv.conf (mmdebstrap copies them) are replaced,
 * and the ssh host keys are removed — every VE must make its own, or all VEs of a
 * template would share one identity. apt's caches go (apt-get update refills them), and
 * so does whatever of the build host's apt settings the build used.
 */
import { join } from 'node:path';
import { vzError, type Host } from '@vzkit/core';

/** A getty on a virtual console (`1:2345:respawn:/sbin/getty --noclear 38400 tty1`). */
const CONSOLE_GETTY = /^[^#:]*:[^:]*:[^:]*:\S*getty\b.*\btty[1-6]\s*$/;

/** inittab without the gettys on tty1-6; everything else, comments included, stays. */
export function inittabForVe(text: string): string {
  return text.split('\n').filter((l) => !CONSOLE_GETTY.test(l)).join('\n');
}

export const VE_HOSTS = `127.0.0.1\tlocalhost
::1\t\tlocalhost ip6-localhost ip6-loopback
ff02::1\t\tip6-allnodes
ff02::2\t\tip6-allrouters
`;

/** The host's apt settings a build used (host-apt.ts), at the top of the tree. */
export const BUILD_APT_CONF = '.vzkit-build-apt.conf';

/**
 * Writes `text` as the tree's file `rel`, replacing whatever is there: a symlink in a
 * guest tree may point at the host's own file, so it is removed, never written through.
 */
async function replaceFile(host: Host, root: string, rel: string, text: string): Promise<void> {
  const path = join(root, rel);
  const parent = join(path, '..');
  if ((await host.fs.stat(parent))?.type !== 'dir') {
    throw vzError('BAD_TEMPLATE', `${parent} is not a directory`, { path: parent });
  }
  const st = await host.fs.stat(path);
  if (st && st.type !== 'file') await host.fs.remove(path, { recursive: st.type === 'dir' });
  await host.fs.writeFile(path, text, { mode: 0o644 });
  await host.fs.chmod(path, 0o644);
}

/** Removes the regular files of `dir` (when it is a directory) whose names `drop` picks. */
async function removeFiles(host: Host, dir: string, drop: (name: string) => boolean): Promise<void> {
  if ((await host.fs.stat(dir))?.type !== 'dir') return;
  for (const name of await host.fs.readdir(dir)) {
    const path = join(dir, name);
    if (drop(name) && (await host.fs.stat(path))?.type === 'file') await host.fs.remove(path);
  }
}

/** Applies the VE adaptations to the Debian tree at `root`, whose apt gets `sources` (sources.list lines). */
export async function adaptDebianTree(host: Host, root: string, sources: readonly string[]): Promise<void> {
  const inittab = join(root, 'etc/inittab');
  if ((await host.fs.stat(inittab))?.type === 'file') await replaceFile(host, root, 'etc/inittab', inittabForVe(await host.fs.readFile(inittab)));
  await replaceFile(host, root, 'etc/fstab', '');
  await replaceFile(host, root, 'etc/hostname', 'localhost\n');
  await replaceFile(host, root, 'etc/hosts', VE_HOSTS);
  await replaceFile(host, root, 'etc/resolv.conf', '');
  await replaceFile(host, root, 'etc/apt/sources.list', sources.map((l) => `${l}\n`).join(''));
  await removeFiles(host, join(root, 'etc/ssh'), (n) => n.startsWith('ssh_host_'));
  await removeFiles(host, join(root, 'var/cache/apt/archives'), (n) => n.endsWith('.deb'));
  await removeFiles(host, join(root, 'var/cache/apt/archives/partial'), () => true);
  await removeFiles(host, join(root, 'var/cache/apt'), (n) => n.endsWith('.bin'));
  await removeFiles(host, join(root, 'var/lib/apt/lists'), (n) => n !== 'lock');
  await removeFiles(host, join(root, 'var/lib/apt/lists/partial'), () => true);
  // mmdebstrap keeps the build's apt options in 99mmdebstrap: they were the build host's.
  for (const leftover of ['usr/sbin/policy-rc.d', BUILD_APT_CONF, 'etc/apt/apt.conf.d/99mmdebstrap']) {
    const path = join(root, leftover);
    if (await host.fs.exists(path)) await host.fs.remove(path, { recursive: true });
  }
}
