/**
 * Keeping the guest's /etc/hostname in step with HOSTNAME, so that its init (which sets
 * the hostname from that file at boot) and later starts agree with the config. The full
 * per-distribution scripts (/etc/hosts, Red Hat's sysconfig) come with the templates.
 */
import { wrapError, type HostFs } from '@vzkit/core';

/**
 * Writes `name` into `<root>/etc/hostname` when the guest has that file. The VE root is
 * mounted on the host, but its contents belong to the guest: a symlink there could
 * point anywhere on the host, so only a regular file under a real directory is written.
 * Returns whether the file was written.
 */
export async function writeEtcHostname(fs: HostFs, root: string, name: string): Promise<boolean> {
  const etc = `${root.replace(/\/+$/, '')}/etc`;
  const file = `${etc}/hostname`;
  if ((await fs.stat(etc))?.type !== 'dir') return false;
  if ((await fs.stat(file))?.type !== 'file') return false;
  try {
    await fs.writeFile(file, `${name}\n`);
  } catch (e) {
    throw wrapError(e, `cannot write ${file}`);
  }
  return true;
}
