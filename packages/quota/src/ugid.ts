/**
 * The second level: ordinary user and group quotas that the VE's root sets inside with
 * setquota and reads with quota/repquota. Only the image backend can offer them — the
 * VE's ext4 filesystem is its own, so its uids are its own — and only on a kernel with
 * quota support (CONFIG_QFMT_V2): the image then has ext4's quota feature and is
 * mounted with usrquota,grpquota.
 *
 * Inside, `/` is the overlay, which has no quotas. The quota tools look for filesystems
 * with quotas in /proc/mounts and reach them by device (quotactl on a block device
 * node), so the VE gets both: an empty directory of its image bound read-only at
 * /dev/.vzquota (a mount line naming the image's loop device, with its quota options)
 * and that device's node in its /dev. Nothing of the guest's own files changes.
 */
import { basename, join } from 'node:path';
import { vzError, type ChildOp, type Host, type LaunchPlan } from '@vzkit/core';
import { readRecord, type QuotaCtx, type QuotaRecord } from './backend.js';
import type { QuotaLimits } from './config.js';
import { backendOf, kernelQuotaSupport } from './detect.js';
import { quotaError } from './errors.js';
import { DISK_DIR } from './layout.js';

/** Where the VE sees its disk (in its own /dev, a tmpfs of vzkit's). */
export const UGID_MOUNT = '/dev/.vzquota';
/** The empty directory of the image that is bound there. */
export const UGID_DIR = '.vzquota';

/** major:minor of a loop device (`/dev/loop3` → [7, 3]) from sysfs. */
export async function deviceNumbers(host: Host, device: string): Promise<[number, number]> {
  const text = await host.fs.readFile(`/sys/block/${basename(device)}/dev`);
  const m = /^(\d+):(\d+)/.exec(text.trim());
  if (!m) throw quotaError('QUOTA_UGID', `cannot read the device number of ${device}`);
  return [Number(m[1]), Number(m[2])];
}

/**
 * The child ops that show the VE its disk, for the `rootfs` stage after ns-fs built /dev
 * (paths under the host-side VE root `root`): the device node and the read-only bind of
 * `disk/.vzquota`.
 */
export function ugidOps(root: string, disk: string, device: string, major: number, minor: number): ChildOp[] {
  const target = join(root, UGID_MOUNT);
  return [
    { op: 'mknod', path: join(root, 'dev', basename(device)), kind: 'b', major, minor, mode: 0o600 },
    { op: 'mkdir', path: target, mode: 0o700 },
    { op: 'mount', source: join(disk, UGID_DIR), target, fstype: '', flags: ['bind'] },
    { op: 'mount', source: 'none', target, fstype: '', flags: ['bind', 'remount', 'rdonly', 'nosuid', 'nodev', 'noexec'] },
  ];
}

/** The second level needs the image backend and a kernel with quota support; `set` says so when they are missing. */
export async function checkUgid(ctx: QuotaCtx, limits: QuotaLimits): Promise<void> {
  const label = ctx.ve.label;
  if (!limits.space) throw quotaError('DISKSPACE_NOT_SET', `${label}: QUOTAUGIDLIMIT needs a first-level quota: DISKSPACE is not set`, { about: label });
  if (ctx.ve.idmap) {
    // quotactl(2) on a filesystem the host mounted takes the host's CAP_SYS_ADMIN, which a
    // user-namespaced root lacks; a device node for its quota tools cannot be made there either.
    throw vzError('UNSUPPORTED', `${label}: QUOTAUGIDLIMIT: user/group quotas inside the VE are not available to an unprivileged VE (LOCAL_UID=${ctx.ve.idmap.uid})`, {
      about: label,
      hint: 'set QUOTAUGIDLIMIT=0 (the VE-wide DISKSPACE/DISKINODES limits still apply), or use a VE of the host root (--local_uid 0), whose root is the host\'s',
    });
  }
  const backend = await backendOf(ctx, await readRecord(ctx));
  if (backend !== 'image') {
    throw vzError('UNSUPPORTED', `${label}: QUOTAUGIDLIMIT: user/group quotas inside the VE are not supported by the ${backend} backend (its uids are the host's)`, {
      about: label,
      hint: 'set QUOTAUGIDLIMIT=0, or give the VE an image (QUOTA_BACKEND=image at create)',
    });
  }
  const kernel = await kernelQuotaSupport(ctx.host);
  if (!kernel.ok) {
    throw vzError('UNSUPPORTED', `${label}: QUOTAUGIDLIMIT: user/group quotas inside the VE are not supported by this host: ${kernel.why}`, { about: label, hint: 'set QUOTAUGIDLIMIT=0' });
  }
}

/** The image's device, and the mount line and device node the VE's quota tools need. */
export async function prepareUgid(ctx: QuotaCtx, record: QuotaRecord, limits: QuotaLimits, plan: LaunchPlan): Promise<void> {
  if (record.backend !== 'image' || !record.ugid || limits.ugid === 0) return;
  const disk = join(ctx.ve.paths.private, DISK_DIR);
  const device = (await ctx.host.mounts.list()).find((e) => e.target === disk)?.source;
  if (!device) throw quotaError('QUOTA_UGID', `${ctx.ve.label}: the disk image is not mounted`, { about: ctx.ve.label });
  const [major, minor] = await deviceNumbers(ctx.host, device);
  await ctx.host.fs.mkdir(join(disk, UGID_DIR), { recursive: true, mode: 0o700 });
  // After every prepare: ns-fs's /dev must be there first.
  plan.finalize((p) => p.add('rootfs', ...ugidOps(ctx.ve.paths.root, disk, device, major, minor)));
}
