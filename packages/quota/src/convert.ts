/**
 * A quota given to a VE after create, or taken away: its private area moves onto the
 * backend's disk, or off it, offline (the VE stopped, its lock held) — at its next start
 * or mount, or at once with `vzctl quotainit` / `vzquota init|drop`.
 *
 * The record (VE_PRIVATE/quota.json) is the commit point: onto a disk, it is written once
 * the files are complete on it; off a disk, it is removed once they are complete beside
 * it. Every step before leaves files that say how far it went (layout.ts), so whatever
 * runs next on the VE — its start, mount, umount after a killed start, a quota command,
 * destroy — first settles the private area: an uncommitted conversion is undone, a
 * committed one finished. Nothing lost: the originals go only after the commit, and the
 * copy keeps owners, modes, ACLs, extended attributes (file capabilities, overlayfs'
 * whiteouts and opaque directories), hard links, holes and device nodes (copy.ts).
 */
import { basename, join } from 'node:path';
import { faultPoint } from '@vzkit/core';
import { readRecord, recordPath, removeRecord, writeRecord, type MountOptions, type QuotaCtx, type QuotaRecord } from './backend.js';
import { isSubvolume, limitSubvolume, liftLimit } from './btrfs.js';
import type { QuotaLimits } from './config.js';
import { treeUsage } from './copy.js';
import { backendOf } from './detect.js';
import { quotaError } from './errors.js';
import { removeGrace } from './grace.js';
import { imageBackend, mountDisk, unmountDisk } from './image.js';
import { copyOff, copyOnto, DISK_DIR, hasCopyOff, IMAGE_FILE, layersLinked, leftByQuota, linkLayers, removeCopyOff, removePartials, restoreMoved, unlinkOff, UPPER } from './layout.js';
import { projectBackend, releaseProject } from './project.js';

function paths(ctx: QuotaCtx) {
  const priv = ctx.ve.paths.private;
  return { priv, upper: join(priv, UPPER), disk: join(priv, DISK_DIR), image: join(priv, IMAGE_FILE) };
}

/** The image file and its mount point go (after the record, or before there was one). */
async function removeImage(ctx: QuotaCtx): Promise<void> {
  const { disk, image } = paths(ctx);
  await unmountDisk(ctx);
  if (ctx.state.get()?.mounted) await ctx.state.clear();
  if (await ctx.host.fs.exists(disk)) await ctx.host.fs.remove(disk, { recursive: true });
  if (await ctx.host.fs.exists(image)) await ctx.host.fs.remove(image);
  await removeGrace(ctx.host, ctx.ve.paths.private);
}

/**
 * Brings the private area of a stopped VE to a state of its own after whatever was killed
 * in it: a disk left mounted (by a dead operation, by `vzquota on`, by a conversion that
 * failed) is unmounted, an uncommitted conversion undone, a committed one finished.
 * True when the private area has nothing of a disk or a conversion, its record included.
 */
export async function settle(ctx: QuotaCtx): Promise<boolean> {
  const { priv, upper, image } = paths(ctx);
  // One listing instead of a lookup of each thing a disk or conversion leaves (some ten
  // round trips a start, and a read of the whole mount table for the absent disk's
  // mount point): without any of them every step below does nothing.
  const names = await ctx.host.fs.readdir(priv).catch(() => undefined);
  if (names && !names.some((n) => leftByQuota(n, basename(recordPath(priv))))) {
    if (ctx.state.get()?.mounted) await ctx.state.clear();
    return true;
  }
  if (!(await ctx.host.fs.exists(priv))) return false;
  await unmountDisk(ctx);
  if (ctx.state.get()?.mounted) await ctx.state.clear();
  await removePartials(ctx.host, priv);
  await restoreMoved(ctx.host, priv);
  const record = await readRecord(ctx);
  if (record) {
    // Off the disk, not committed: the files are still on it.
    await removeCopyOff(ctx.host, priv);
    return false;
  }
  if (await hasCopyOff(ctx.host, priv)) {
    // Off the disk, committed: the copy beside it becomes the VE's files.
    await unlinkOff(ctx.host, priv, ctx.ve.label);
    await removeImage(ctx);
    return false;
  }
  if (await layersLinked(ctx.host, priv)) {
    if (await ctx.host.fs.exists(image)) {
      throw quotaError('QUOTA_ON', `${ctx.ve.label}: ${upper} links to the VE's disk image, but its record ${join(priv, 'quota.json')} is gone`, {
        about: ctx.ve.label,
        path: upper, hint: `write it again ('{"backend":"image","mode":"exact"}', or "room" if the image is bigger than DISKSPACE) before anything else`,
      });
    }
    return false;
  }
  // Onto a disk, not committed: the VE's files were never touched.
  if ((await ctx.host.fs.exists(image)) || (await ctx.host.fs.exists(paths(ctx).disk))) await removeImage(ctx);
  return false;
}

/**
 * Gives the stopped VE the disk its config asks for, its files moved onto it; resolves
 * with the record once committed. The disk is left unmounted, so the caller's `attach`
 * (or nothing, for `quotainit`) mounts it the usual way.
 */
export async function moveOnto(ctx: QuotaCtx, limits: QuotaLimits, opts: MountOptions): Promise<QuotaRecord> {
  const { priv, upper } = paths(ctx);
  const space = limits.space!;
  const label = ctx.ve.label;
  const hasFiles = (await ctx.host.fs.stat(upper))?.type === 'dir';
  if (hasFiles) {
    const u = await treeUsage(ctx.host, upper, `${label}: measure the VE's files`, 'QUOTA_INIT', label);
    const unchanged = 'nothing was changed';
    if (u.kb > space.hard) {
      throw quotaError('QUOTA_INIT', `${label}: DISKSPACE ${space.soft}:${space.hard}: the VE's files take ${u.kb} KiB, more than the hard limit; ${unchanged}`, {
        about: label,
        hint: `raise it (vzctl set ${ctx.ve.ctid} --diskspace ${Math.ceil(u.kb * 1.2)} --save) or remove files`,
      });
    }
    if (limits.inodes && u.inodes > limits.inodes.hard) {
      throw quotaError('QUOTA_INIT', `${label}: DISKINODES ${limits.inodes.soft}:${limits.inodes.hard}: the VE has ${u.inodes} files and directories, more than the hard limit; ${unchanged}`, {
        about: label,
        hint: `raise it (vzctl set ${ctx.ve.ctid} --diskinodes ${Math.ceil(u.inodes * 1.2)} --save) or remove files`,
      });
    }
  }
  let name = await backendOf(ctx, undefined);
  if (name === 'btrfs' && !(await isSubvolume(ctx, priv))) {
    // A directory cannot become a subvolume in place; an image works on btrfs too.
    if (ctx.ve.config.raw('QUOTA_BACKEND') === 'btrfs') {
      throw quotaError('QUOTA_INIT', `${label}: QUOTA_BACKEND=btrfs: the private area ${priv} is a plain directory, made without a quota, and a directory cannot become a btrfs subvolume in place`, {
        about: label,
        hint: 'set QUOTA_BACKEND=auto (or image) in its config: the VE gets a disk image instead',
      });
    }
    ctx.log.info(`${label}: the private area is a plain directory on btrfs, not a subvolume: the VE gets a disk image`);
    name = 'image';
  }
  ctx.log.info(`${label}: moving the VE's files onto its new disk (${name} backend)`);
  if (name === 'btrfs') {
    await limitSubvolume(ctx, limits);
    const record: QuotaRecord = { backend: 'btrfs' };
    await writeRecord(ctx, record);
    return record;
  }
  if (name === 'project') {
    // chattr -R: the VE's files join the project.
    const record = await projectBackend.setup(ctx, limits);
    await writeRecord(ctx, record);
    return record;
  }
  const record = await imageBackend.setup(ctx, limits);
  faultPoint('quota', 'onto:image');
  await mountDisk(ctx, record, limits, opts);
  // Only the files' own copy: the links follow once the record says the copy is complete.
  if (hasFiles) await copyOnto(ctx.host, priv, label, 'QUOTA_INIT');
  faultPoint('quota', 'onto:copied');
  await writeRecord(ctx, record);
  faultPoint('quota', 'onto:record');
  await linkLayers(ctx.host, priv, label);
  await unmountDisk(ctx);
  if (opts.record) await ctx.state.clear();
  return record;
}

/**
 * Takes the stopped VE's files off its disk (its quota removed): they become a plain
 * directory again and the disk goes. The caller decides what a failure means (at a
 * start: the VE stays on its disk, with a warning).
 */
export async function moveOff(ctx: QuotaCtx, record: QuotaRecord, opts: MountOptions): Promise<void> {
  const { priv, upper } = paths(ctx);
  const label = ctx.ve.label;
  ctx.log.info(`${label}: moving the VE's files off its disk (${record.backend} backend): DISKSPACE is not set`);
  if (record.backend === 'project') {
    await releaseProject(ctx, record.project ?? ctx.ve.ctid);
    await removeRecord(ctx);
    await removeGrace(ctx.host, priv);
    return;
  }
  if (record.backend === 'btrfs') {
    // The private area stays a subvolume (a directory to everyone), without a limit.
    await liftLimit(ctx);
    await removeRecord(ctx);
    await removeGrace(ctx.host, priv);
    return;
  }
  if (await layersLinked(ctx.host, priv)) {
    await mountDisk(ctx, record, { space: undefined, inodes: undefined, grace: 0, ugid: 0 }, opts);
    const u = await treeUsage(ctx.host, join(priv, DISK_DIR, UPPER), `${label}: measure the VE's files`, 'QUOTA_OFF', label);
    const st = await ctx.host.fs.statfs(priv);
    const freeKb = (st.blocksAvailable * st.blockSize) / 1024;
    if (u.kb > freeKb) {
      throw quotaError('QUOTA_OFF', `${label}: the VE's files (${u.kb} KiB) do not fit in the ${Math.floor(freeKb)} KiB left on the filesystem of ${priv}`, {
        about: label,
        hint: 'free space there, or keep the quota (DISKSPACE)',
      });
    }
    await copyOff(ctx.host, priv, label);
    faultPoint('quota', 'off:copied');
  }
  // A VE whose files never left fs (moved onto a disk, killed before the links) has them there already.
  await removeRecord(ctx);
  faultPoint('quota', 'off:record');
  await unlinkOff(ctx.host, priv, label);
  await removeImage(ctx);
}
