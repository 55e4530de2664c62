/**
 * Keeping the guest's /etc/hostname in step with HOSTNAME, so that its init (which sets
 * the hostname from that file at boot) and later starts agree with the config. The full
 * per-distribution scripts (/etc/hosts, Red Hat's sysconfig) come with the templates.
 */
import { skipIfRefused, writeGuestFile, type HookContext } from '@vzkit/core';

/**
 * Writes `name` into the guest's /etc/hostname when it has that file. A file the VE
 * made unsafe (a symlink, a FIFO, ...) is left alone with one warning: the hostname
 * itself is set all the same.
 */
export async function writeEtcHostname(ctx: HookContext, name: string): Promise<void> {
  await skipIfRefused(ctx, 'HOSTNAME was not written into it', () => writeGuestFile(ctx, 'etc/hostname', `${name}\n`));
}
