/**
 * Keeping the guest's /etc/hostname in step with HOSTNAME, so that its init (which sets
 * the hostname from that file at boot) and later starts agree with the config. The full
 * per-distribution scripts (/etc/hosts, Red Hat's sysconfig) come with the templates.
 */
import { writeGuestFile, type HostFs } from '@vzkit/core';

/** Writes `name` into `<root>/etc/hostname` when the guest has that file; returns whether it did. */
export function writeEtcHostname(fs: HostFs, root: string, name: string): Promise<boolean> {
  return writeGuestFile(fs, root, 'etc/hostname', `${name}\n`);
}
