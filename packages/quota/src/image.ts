/**
 * The image backend: the VE's own ext4 filesystem in VE_PRIVATE/disk.img, mounted through
 * an autoclear loop device at VE_PRIVATE/disk, with the overlay's upper layer on it
 * (layout.ts). Works on any kernel with loop devices and ext4. The filesystem's size is
 * the hard space limit and its inode count the hard inode limit, so both hold for every
 * writer, root included, and `df` inside shows them (overlayfs reports its upper layer's
 * statfs). ext4 has no grace period: once QUOTATIME has passed (grace.ts keeps the
 * clock) the space soft limit is held by ext4's reserved clusters, which no writer may
 * use, root included; inode soft limits are reported only (ext4 keeps no reserve of them).
 */
import { join } from 'node:path';
import type { Host } from '@vzkit/core';
import type { BackendTraits, MountOptions, QuotaBackend, QuotaCtx, QuotaRecord, QuotaUsage } from './backend.js';
import type { QuotaLimits } from './config.js';
import { growOnline, makeImage, readSuperblock, resizeOffline, type Superblock } from './e2fs.js';
import { asQuotaError, quotaError } from './errors.js';
import { BLOCK_SIZE, imagePlan, limitBlocks, reservedClusters, RESERVED_INODES, roomBlocks, type ImageMode } from './plan.js';
import { DISK_DIR, IMAGE_FILE, linkLayers, unlinkLayers } from './layout.js';

const CAP_SYS_RESOURCE = 24n;

/** ext4 grows online only for a caller with CAP_SYS_RESOURCE (ext4_resize_begin). */
export async function canGrowOnline(host: Host): Promise<boolean> {
  const status = await host.fs.readFile('/proc/self/status').catch(() => '');
  const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  return hex !== undefined && ((BigInt(`0x${hex}`) >> CAP_SYS_RESOURCE) & 1n) === 1n;
}

function paths(ctx: QuotaCtx) {
  const priv = ctx.ve.paths.private;
  return { priv, image: join(priv, IMAGE_FILE), disk: join(priv, DISK_DIR) };
}

/** The loop device the disk is mounted from (`/dev/loop3`). */
async function deviceOf(host: Host, disk: string): Promise<string | undefined> {
  return (await host.mounts.list()).find((e) => e.target === disk)?.source;
}

/** /sys/fs/ext4/loop3/reserved_clusters: blocks nobody may write, moved while mounted. */
async function setReserved(host: Host, device: string, clusters: number): Promise<void> {
  await host.fs.writeFile(`/sys/fs/ext4/${device.replace(/^\/dev\//, '')}/reserved_clusters`, String(clusters));
}

function usageOf(sb: Superblock): { blocks: number; inodes: number } {
  return { blocks: sb.blockCount - sb.overhead - sb.freeBlocks, inodes: sb.inodeCount - sb.freeInodes };
}

/**
 * Mounts the image at VE_PRIVATE/disk, sized to DISKSPACE first where it changed while
 * the VE was stopped; in room mode the reserve holds the limit from the first write.
 */
export async function mountDisk(ctx: QuotaCtx, record: QuotaRecord, limits: QuotaLimits, opts: MountOptions): Promise<void> {
  const { image, disk } = paths(ctx);
  const what = `${ctx.ve.label}: mount the disk image ${image}`;
  if (!(await ctx.host.fs.exists(image))) throw quotaError('QUOTA_ON', `${what}: it does not exist`, { path: image, about: ctx.ve.label });
  // The VE's files live on the image whatever the config says now.
  if (!limits.space) ctx.log.warn('DISKSPACE is not set (or DISK_QUOTA=no), but the VE\'s files live on its disk image: it keeps its size');
  // Stopped, the image may take a DISKSPACE saved since: offline resize2fs needs no capability.
  const hard = limits.space?.hard;
  const sb = await readSuperblock(ctx.host, image, what, 'QUOTA_ON', ctx.ve.label);
  const visible = sb.blockCount - sb.overhead;
  const inodes = limits.inodes?.hard;
  // DISKINODES saved since the image was made: its inode count cannot follow.
  if (inodes !== undefined && (sb.inodeCount > inodes + RESERVED_INODES || sb.inodeCount < 0.9 * inodes)) {
    ctx.log.warn(`DISKINODES is ${inodes}, but the disk image holds ${sb.inodeCount} inodes, fixed when it was made`);
  }
  const want = hard === undefined ? visible : record.mode === 'room' ? roomBlocks(limitBlocks(hard)) : limitBlocks(hard);
  if (visible < want || (record.mode !== 'room' && visible > want)) {
    try {
      await resizeOffline(ctx.host, image, want, `${ctx.ve.label}: resize the disk image to DISKSPACE`, ctx.ve.label);
    } catch (e) {
      const err = asQuotaError(e, 'QUOTA_SET', `${ctx.ve.label}: DISKSPACE ${hard}`, ctx.ve.label);
      if (visible < want) throw err;
      // The files need more than the new limit: the VE still starts, on its old size.
      ctx.log.warn(`the disk image keeps its ${(visible * BLOCK_SIZE) / 1024} KiB: ${err.message}`);
    }
  }
  await ctx.host.fs.mkdir(disk, { recursive: true, mode: 0o700 });
  if (await ctx.host.mounts.isMountPoint(disk)) throw quotaError('QUOTA_ON', `${what}: ${disk} is already a mount point`, { path: disk, about: ctx.ve.label, hint: `unmount it ('umount ${disk}') first` });
  if (opts.record) await ctx.state.set({ mounted: disk });
  try {
    await ctx.host.mounts.mount({ source: image, target: disk, fstype: 'ext4', loop: true, flags: ['nodev', 'nosuid'], ...(record.ugid && limits.ugid > 0 ? { data: 'usrquota,grpquota' } : {}) });
  } catch (e) {
    throw asQuotaError(e, 'QUOTA_ON', what, ctx.ve.label);
  }
  if (record.mode === 'room' && limits.space) await imageBackend.apply(ctx, record, limits, limits);
}

/** Unmounts the image wherever it is mounted at VE_PRIVATE/disk, recorded or not. */
export async function unmountDisk(ctx: QuotaCtx): Promise<void> {
  const { disk } = paths(ctx);
  if (!(await ctx.host.mounts.isMountPoint(disk))) return;
  try {
    await ctx.host.mounts.umount(disk);
  } catch (e) {
    throw asQuotaError(e, 'QUOTA_OFF', `${ctx.ve.label}: unmount the disk image`, ctx.ve.label);
  }
}

/** Whether the image is mounted (the quota is on). */
export async function diskMounted(ctx: QuotaCtx): Promise<boolean> {
  return ctx.host.mounts.isMountPoint(paths(ctx).disk);
}

export const imageBackend: QuotaBackend = {
  name: 'image',

  traits(record): BackendTraits {
    return {
      title: record.mode === 'room' ? 'ext4 image on a loop device (limit held by reserved blocks)' : 'ext4 image on a loop device',
      inodes: true,
      // Past its grace, the space soft limit is held by reserved clusters; ext4 has no such reserve of inodes.
      soft: true,
      softInodes: false,
      kernelGrace: false,
      df: record.mode !== 'room',
    };
  },

  async setup(ctx, limits) {
    const { priv, image } = paths(ctx);
    const space = limits.space!;
    // No CAP_SYS_RESOURCE now means none at the next live `set` either, most likely.
    const mode: ImageMode = (await canGrowOnline(ctx.host)) ? 'exact' : 'room';
    if (mode === 'room') {
      ctx.log.warn(`this vzctl lacks CAP_SYS_RESOURCE, which ext4 needs to grow online: the disk image gets room up to ${(roomBlocks(limitBlocks(space.hard)) * BLOCK_SIZE) / 2 ** 20} MiB, df inside shows that size, and the limit is held by reserved blocks`);
    }
    await ctx.host.fs.mkdir(priv, { recursive: true, mode: 0o700 });
    const plan = imagePlan(mode, space.hard, limits.inodes?.hard);
    try {
      await makeImage(ctx.host, image, plan, { label: `vzkit-${ctx.ve.ctid}`.slice(0, 16), quota: limits.ugid > 0, what: `${ctx.ve.label}: make the disk image ${image}`, about: ctx.ve.label });
    } catch (e) {
      throw asQuotaError(e, 'QUOTA_INIT', `${ctx.ve.label}: make the disk image ${image}`, ctx.ve.label);
    }
    return { backend: 'image', mode, ugid: limits.ugid > 0 };
  },

  async attach(ctx, record, limits, opts = { record: true }) {
    await mountDisk(ctx, record, limits, opts);
    await linkLayers(ctx.host, paths(ctx).priv, ctx.ve.label);
  },

  async detach(ctx) {
    const st = ctx.state.get();
    if (!st?.mounted) return;
    if (await ctx.host.mounts.isMountPoint(st.mounted)) {
      try {
        await ctx.host.mounts.umount(st.mounted);
      } catch (e) {
        throw asQuotaError(e, 'QUOTA_OFF', `${ctx.ve.label}: unmount the disk image`, ctx.ve.label);
      }
    }
    await ctx.state.clear();
  },

  async apply(ctx, record, limits) {
    const { image, disk } = paths(ctx);
    const what = `${ctx.ve.label}: DISKSPACE ${limits.space!.soft}:${limits.space!.hard}`;
    const device = await deviceOf(ctx.host, disk);
    if (!device) throw quotaError('QUOTA_SET', `${what}: the disk image is not mounted`, { about: ctx.ve.label });
    const limit = limitBlocks(limits.space!.hard);
    const st = await ctx.host.fs.statfs(disk);
    const used = st.blocks - st.blocksFree;
    if (record.mode === 'room') {
      // The reserve can hold any limit up to the filesystem's size; beyond, the image must grow.
      if (limit > st.blocks) {
        if (!(await canGrowOnline(ctx.host))) {
          throw quotaError('QUOTA_SET', `${what}: beyond the ${(st.blocks * BLOCK_SIZE) / 2 ** 20} MiB the image has room for, and growing it online needs CAP_SYS_RESOURCE`, {
            about: ctx.ve.label,
            hint: `save it (--save) and restart the VE: the image grows at the next start`,
          });
        }
        await growOnline(ctx.host, image, device, disk, roomBlocks(limit), what, ctx.ve.label).catch((e) => { throw asQuotaError(e, 'QUOTA_SET', what, ctx.ve.label); });
      }
      const now = await ctx.host.fs.statfs(disk);
      await setReserved(ctx.host, device, reservedClusters(now.blocks, limit)).catch((e) => { throw asQuotaError(e, 'QUOTA_SET', what, ctx.ve.label); });
      if (used > limit) ctx.log.warn(`${limits.space!.hard} KiB is below the ${Math.ceil((used * BLOCK_SIZE) / 1024)} KiB in use: nothing more can be written until files are removed`);
      return;
    }
    if (limit < st.blocks) {
      throw quotaError('QUOTA_SET', `${what}: an ext4 image cannot shrink while it is mounted`, {
        about: ctx.ve.label,
        hint: 'save it (--save) and restart the VE: the image shrinks at the next start if its files fit',
      });
    }
    if (limit === st.blocks) return;
    if (!(await canGrowOnline(ctx.host))) {
      throw quotaError('QUOTA_SET', `${what}: growing the image online needs CAP_SYS_RESOURCE, which this vzctl lacks`, {
        about: ctx.ve.label,
        hint: 'save it (--save) and restart the VE: the image grows at the next start',
      });
    }
    try {
      await growOnline(ctx.host, image, device, disk, limit, what, ctx.ve.label);
    } catch (e) {
      throw asQuotaError(e, 'QUOTA_SET', what, ctx.ve.label);
    }
  },

  async hold(ctx, record, limits, softKb) {
    const { disk } = paths(ctx);
    const what = `${ctx.ve.label}: DISKSPACE soft limit ${softKb ?? ''}`.trimEnd();
    const device = await deviceOf(ctx.host, disk);
    if (!device || !limits.space) return;
    const st = await ctx.host.fs.statfs(disk);
    // Usable space: the soft limit while held; back at the hard limit (or the filesystem, if smaller) after.
    const target = softKb !== undefined ? limitBlocks(softKb) : Math.min(limitBlocks(limits.space.hard), st.blocks);
    await setReserved(ctx.host, device, reservedClusters(st.blocks, target)).catch((e) => { throw asQuotaError(e, 'QUOTA_SET', what, ctx.ve.label); });
  },

  async usage(ctx, record, running): Promise<QuotaUsage | undefined> {
    const { image, disk } = paths(ctx);
    if (running) {
      const st = await ctx.host.fs.statfs(disk);
      const kb = st.blockSize / 1024;
      return {
        spaceUsed: (st.blocks - st.blocksFree) * kb,
        inodesUsed: st.files - st.filesFree,
        spaceLimit: record.mode === 'room' ? undefined : st.blocks * kb,
        inodesLimit: st.files,
      };
    }
    if (!(await ctx.host.fs.exists(image))) return undefined;
    const sb = await readSuperblock(ctx.host, image, `${ctx.ve.label}: read the disk image`, 'QUOTA_USAGE', ctx.ve.label);
    const u = usageOf(sb);
    return {
      spaceUsed: (u.blocks * sb.blockSize) / 1024,
      inodesUsed: u.inodes,
      spaceLimit: record.mode === 'room' ? undefined : ((sb.blockCount - sb.overhead) * sb.blockSize) / 1024,
      inodesLimit: sb.inodeCount,
    };
  },

  async remove(ctx) {
    const { priv, image, disk } = paths(ctx);
    if (!(await ctx.host.fs.exists(priv))) return;
    if (await ctx.host.mounts.isMountPoint(disk)) await ctx.host.mounts.umount(disk);
    await unlinkLayers(ctx.host, priv);
    if (await ctx.host.fs.exists(disk)) await ctx.host.fs.remove(disk, { recursive: true });
    if (await ctx.host.fs.exists(image)) await ctx.host.fs.remove(image);
  },
};
