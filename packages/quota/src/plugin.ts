/**
 * The quota plugin: OpenVZ's two-level disk quota. First level per VE — DISKSPACE and
 * DISKINODES (soft:hard), QUOTATIME — held by the backend the host offers (an ext4 image
 * on a loop device by default, btrfs qgroups, ext4/xfs project quota); second level —
 * user/group quotas inside, QUOTAUGIDLIMIT — where backend and kernel can. It must come
 * before ns-fs in the plugin list: its `create` makes the disk the private area lives on
 * and its `mount` mounts it before ns-fs mounts the VE's root from it (teardown runs in
 * reverse, so the root is unmounted first).
 */
import { join } from 'node:path';
import { definePlugin, LOCAL_GID, LOCAL_UID, vzError, type ConfigChange, type LaunchPlan } from '@vzkit/core';
import { readRecord, recordPath, writeRecord, type BackendName, type QuotaBackend, type QuotaCtx, type QuotaRecord, type QuotaState, type QuotaUsage } from './backend.js';
import { btrfsBackend } from './btrfs.js';
import { DISKINODES, DISKSPACE, QUOTA_BACKEND, QUOTA_KEYS, QUOTATIME, quotaLimits, type QuotaLimits } from './config.js';
import { backendOf, probePrivate } from './detect.js';
import { asQuotaError, quotaError } from './errors.js';
import { QUOTA_FIELDS } from './fields.js';
import { imageBackend } from './image.js';
import { IMAGE_FILE } from './layout.js';
import { projectBackend } from './project.js';
import { OFFLINE_USAGE, quotaRows, trackedGrace } from './stats.js';
import { runTool } from './tools.js';
import { checkUgid, prepareUgid } from './ugid.js';
import { vzquotaShow, vzquotaStat } from './vzquota.js';
import { QUOTA_METRICS } from './metrics.js';

export const QUOTA_PLUGIN = '@vzkit/quota';

export const BACKENDS: Readonly<Record<BackendName, QuotaBackend>> = { image: imageBackend, btrfs: btrfsBackend, project: projectBackend };

/** The smallest hard space limit: below it ext4 has hardly room for its own metadata. */
export const MIN_DISKSPACE_KB = 1024;

const CAP_SYS_RESOURCE = 24;

function warnLimits(ctx: QuotaCtx, backend: QuotaBackend, record: QuotaRecord, limits: QuotaLimits): void {
  const t = backend.traits(record);
  if (limits.inodes && !t.inodes) ctx.log.warn(`DISKINODES is not enforced: the ${record.backend} backend has no inode limit`);
  const softBelowHard = (limits.space && limits.space.soft < limits.space.hard) || (limits.inodes && limits.inodes.soft < limits.inodes.hard);
  if (softBelowHard && !t.soft) ctx.log.warn(`soft limits are reported, not enforced, by the ${record.backend} backend: usage may reach the hard limit at any time`);
}

/** Project quota holds nobody with CAP_SYS_RESOURCE: say so when the VE's root keeps it. */
function warnRootPasses(ctx: QuotaCtx, plan: LaunchPlan): void {
  plan.finalize((p) => {
    const dropped = p.ops().some((o) => o.op === 'capDrop' && o.caps.includes(CAP_SYS_RESOURCE));
    if (!dropped) ctx.log.warn('the VE\'s root keeps CAP_SYS_RESOURCE and so passes its project quota\'s hard limits; drop it with --capability sys_resource:off');
  });
}

async function usageFor(ctx: QuotaCtx, backend: QuotaBackend, record: QuotaRecord, on: boolean, offline: boolean): Promise<QuotaUsage | undefined> {
  try {
    if (record.backend === 'image') return on ? await backend.usage(ctx, record, true) : offline ? await backend.usage(ctx, record, false) : undefined;
    return on || offline ? await backend.usage(ctx, record, true) : undefined;
  } catch (e) {
    // A listing shows what it can; vzquota show says why it could not.
    if (offline) throw asQuotaError(e, 'QUOTA_USAGE', `${ctx.ve.label}: read the disk usage`);
    ctx.log.debug(`usage: ${(e as Error).message}`);
    return undefined;
  }
}

export const quotaPlugin = definePlugin<QuotaState>({
  name: QUOTA_PLUGIN,
  configKeys: [...QUOTA_KEYS],
  listFields: QUOTA_FIELDS,
  // A conversion's files live on the VE's disk.
  watches: [LOCAL_UID.name, LOCAL_GID.name],
  commands: [vzquotaStat, vzquotaShow],
  metrics: QUOTA_METRICS,
  hooks: {
    async validate(ctx) {
      const limits = quotaLimits(ctx.ve.config);
      if (!limits.space && limits.inodes) {
        throw quotaError('DISKSPACE_NOT_SET', `${ctx.ve.label}: DISKINODES needs DISKSPACE: set both`);
      }
      if (limits.space && limits.space.hard < MIN_DISKSPACE_KB) {
        throw vzError('BAD_VALUE', `${ctx.ve.label}: DISKSPACE hard limit ${limits.space.hard} is below the smallest disk, ${MIN_DISKSPACE_KB} (1 MiB)`);
      }
      if (limits.ugid > 0) await checkUgid(ctx, limits);
      // A backend asked for by name is checked before create makes anything.
      else if (limits.space && (ctx.ve.config.get(QUOTA_BACKEND) ?? 'auto') !== 'auto' && !(await readRecord(ctx))) await backendOf(ctx, undefined);
    },

    async create(ctx) {
      const limits = quotaLimits(ctx.ve.config);
      if (!limits.space) return;
      const name = await backendOf(ctx, undefined);
      const backend = BACKENDS[name];
      const record = await backend.setup(ctx, limits);
      await writeRecord(ctx, record);
      warnLimits(ctx, backend, record, limits);
    },

    async mount(ctx) {
      const limits = quotaLimits(ctx.ve.config);
      let record = await readRecord(ctx);
      if (!record) {
        if (limits.space) ctx.log.warn('DISKSPACE is not enforced: the VE was created without a disk quota (vzkit makes its disk at create)');
        return;
      }
      if (record.backend === 'image' && limits.ugid > 0 && !record.ugid) {
        // Turning the second level on (at a start, as OpenVZ has it): ext4's quota feature, offline.
        const image = join(ctx.ve.paths.private, IMAGE_FILE);
        await runTool(ctx.host, ['tune2fs', '-O', 'quota', '-Q', 'usrquota,grpquota', image], { what: `${ctx.ve.label}: turn user/group quotas on in ${image}`, code: 'QUOTA_UGID' });
        record = { ...record, ugid: true };
        await writeRecord(ctx, record);
      }
      await BACKENDS[record.backend].attach(ctx, record, limits);
    },

    /**
     * A conversion works on the VE's files (LOCAL_UID: their owners): on an image they
     * are reachable only with the disk mounted. The core takes it away again (umount).
     */
    async convert(ctx) {
      const record = await readRecord(ctx);
      if (record?.backend !== 'image') return;
      const mounted = ctx.state.get()?.mounted;
      if (mounted && (await ctx.host.mounts.isMountPoint(mounted))) return;
      await imageBackend.attach(ctx, record, quotaLimits(ctx.ve.config));
    },

    async umount(ctx) {
      const record = await readRecord(ctx);
      // An image mounted by a killed vzctl is in the plugin's state even if its record is not.
      await BACKENDS[record?.backend ?? 'image'].detach(ctx, record ?? { backend: 'image' });
    },

    async prepare(ctx, plan) {
      const record = await readRecord(ctx);
      if (!record) return;
      await prepareUgid(ctx, record, quotaLimits(ctx.ve.config), plan);
      if (record.backend === 'project') warnRootPasses(ctx, plan);
    },

    async update(ctx, changes) {
      const record = await readRecord(ctx);
      const limits = quotaLimits(ctx.ve.config);
      if (!record) {
        if (limits.space) ctx.log.warn('DISKSPACE is saved but not enforced: the VE was created without a disk quota');
        return;
      }
      const touched = (k: { name: string }) => (changes as ConfigChange[]).some((c) => c.key.name === k.name);
      if (!touched(DISKSPACE) && !touched(DISKINODES) && !touched(QUOTATIME)) return;
      if (!limits.space) throw quotaError('DISKSPACE_NOT_SET', `${ctx.ve.label}: DISKSPACE cannot be removed from a VE whose files live on its quota'd disk`);
      const backend = BACKENDS[record.backend];
      if (touched(DISKINODES) && record.backend === 'image') {
        const usage = await backend.usage(ctx, record, true);
        const want = limits.inodes?.hard;
        throw quotaError('QUOTA_SET', `${ctx.ve.label}: DISKINODES ${want ?? ''}: the disk image holds ${usage?.inodesLimit ?? 'a fixed number of'} inodes, fixed when it was made (more come only as DISKSPACE grows, a block group at a time)`, {
          hint: 'leave DISKINODES as it is, or recreate the VE with the new value',
        });
      }
      const before = { ...limits };
      for (const c of changes as ConfigChange[]) {
        if (c.key.name === DISKSPACE.name) before.space = c.before as QuotaLimits['space'];
        if (c.key.name === DISKINODES.name) before.inodes = c.before as QuotaLimits['inodes'];
      }
      await backend.apply(ctx, record, limits, before);
      if (JSON.stringify(before) !== JSON.stringify(limits)) warnLimits(ctx, backend, record, { ...limits, ...(touched(DISKINODES) ? {} : { inodes: undefined }) });
    },

    async stats(ctx, running, want) {
      if (want && !want.has('diskspace') && !want.has('diskinodes')) return [];
      const record = await readRecord(ctx);
      const limits = quotaLimits(ctx.ve.config);
      if (!record) return [];
      const backend = BACKENDS[record.backend];
      const mounted = ctx.state.get()?.mounted;
      const on = record.backend === 'image' ? !!mounted && (await ctx.host.mounts.isMountPoint(mounted)) : true;
      const usage = await usageFor(ctx, backend, record, on && (running || record.backend === 'image'), want?.has(OFFLINE_USAGE) ?? false);
      let graceEnds = {};
      if (usage && backend.traits(record).soft) graceEnds = { ...(usage.spaceGraceEnds ? { diskspace: usage.spaceGraceEnds } : {}), ...(usage.inodesGraceEnds ? { diskinodes: usage.inodesGraceEnds } : {}) };
      else if (usage && running) graceEnds = await trackedGrace(ctx.scratch, limits, usage, Math.floor(Date.now() / 1000));
      return quotaRows({ limits, backend: record.backend, traits: backend.traits(record), usage, graceEnds, on });
    },

    async destroy(ctx) {
      const priv = ctx.ve.paths.private;
      const record = await readRecord(ctx);
      const limits = quotaLimits(ctx.ve.config);
      if (!record && !limits.space) return;
      // The record went with the private area (ns-fs removes it first); the filesystem says the rest.
      const probe = await probePrivate(ctx.host, priv);
      const name: BackendName = record?.backend ?? (probe.fstype === 'btrfs' ? 'btrfs' : probe.prjquota ? 'project' : 'image');
      await BACKENDS[name].remove(ctx, record);
      if (await ctx.host.fs.exists(recordPath(priv))) await ctx.host.fs.remove(recordPath(priv));
      // A create killed before ns-fs made anything leaves the directory the backend made.
      if ((await ctx.host.fs.stat(priv))?.type === 'dir' && (await ctx.host.fs.readdir(priv)).length === 0) await ctx.host.fs.remove(priv);
    },
  },
});
