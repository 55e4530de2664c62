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
import { definePlugin, vzError, type LaunchPlan } from '@vzkit/core';
import { readRecord, recordPath, writeRecord, type BackendName, type QuotaBackend, type QuotaCtx, type QuotaRecord, type QuotaState, type QuotaUsage } from './backend.js';
import { QUOTA_COMMANDS, QUOTA_PLUGIN_NAME } from './commands.js';
import { moveOff, moveOnto, settle } from './convert.js';
import { gracePath, readGrace, tick, writeGrace } from './grace.js';
import { btrfsBackend } from './btrfs.js';
import { DISKINODES, DISKSPACE, QUOTA_BACKEND, QUOTA_KEYS, QUOTATIME, quotaLimits, type QuotaLimits } from './config.js';
import { backendOf, probePrivate } from './detect.js';
import { asQuotaError, quotaError } from './errors.js';
import { QUOTA_FIELDS } from './fields.js';
import { diskMounted, imageBackend } from './image.js';
import { IMAGE_FILE } from './layout.js';
import { projectBackend } from './project.js';
import { OFFLINE_USAGE, quotaRows } from './stats.js';
import { runTool } from './tools.js';
import { checkUgid, prepareUgid } from './ugid.js';
import { vzquotaShow, vzquotaStat } from './vzquota.js';
import { QUOTA_METRICS } from './metrics.js';

export const QUOTA_PLUGIN = QUOTA_PLUGIN_NAME;

export const BACKENDS: Readonly<Record<BackendName, QuotaBackend>> = { image: imageBackend, btrfs: btrfsBackend, project: projectBackend };

/** The smallest hard space limit: below it ext4 has hardly room for its own metadata. */
export const MIN_DISKSPACE_KB = 1024;

const CAP_SYS_RESOURCE = 24;

function warnLimits(ctx: QuotaCtx, backend: QuotaBackend, record: QuotaRecord, limits: QuotaLimits): void {
  const t = backend.traits(record);
  if (limits.inodes && !t.inodes) ctx.log.warn(`DISKINODES is not enforced: the ${record.backend} backend has no inode limit`);
  else if (limits.inodes && limits.inodes.soft < limits.inodes.hard && !t.softInodes) {
    ctx.log.warn(`DISKINODES' soft limit is reported, not enforced, by the ${record.backend} backend: the number of files may reach the hard limit at any time`);
  }
  if (limits.space && limits.space.soft < limits.space.hard && !t.soft) ctx.log.warn(`soft limits are reported, not enforced, by the ${record.backend} backend: usage may reach the hard limit at any time`);
}

/** What a look at the grace clocks found: deadlines for the rows, and whether the soft limit holds. */
interface GraceLook {
  ends: { diskspace?: number; diskinodes?: number };
  held: boolean;
}

/**
 * One look at the soft limits where vzkit keeps the grace clock (grace.ts): clocks start
 * and stop, and the space soft limit past QUOTATIME is held as the hard one (again, each
 * time: a live `set` or a mount may have moved the backend's limit). The quota must be on.
 */
async function observe(ctx: QuotaCtx, record: QuotaRecord, limits: QuotaLimits, usage: QuotaUsage | undefined, announce: boolean): Promise<GraceLook> {
  const backend = BACKENDS[record.backend];
  const t = backend.traits(record);
  if (t.kernelGrace) return { ends: {}, held: false };
  const u = usage ?? (await backend.usage(ctx, record, true));
  if (!u) return { ends: {}, held: false };
  const priv = ctx.ve.paths.private;
  const before = await readGrace(ctx.host, priv);
  const { next, ends } = tick(before, limits, u, Math.floor(Date.now() / 1000), t.soft);
  const held = next.diskspace?.held === true;
  const was = before.diskspace?.held === true;
  if (held) await backend.hold(ctx, record, limits, limits.space!.soft);
  else if (was) await backend.hold(ctx, record, limits, undefined);
  const say = (m: string) => (announce ? ctx.log.warn(m) : ctx.log.debug(m));
  if (held && !was) say(`the grace period (QUOTATIME ${limits.grace} s) of DISKSPACE's soft limit is over: ${limits.space!.soft} KiB holds as the hard limit until usage is back under it`);
  if (was && !held) say('disk usage is back under DISKSPACE\'s soft limit: the hard limit holds again');
  if (JSON.stringify(next) !== JSON.stringify(before)) await writeGrace(ctx.host, priv, next);
  return { ends, held };
}

/** The clocks as last seen, for a VE whose quota is off (nothing is looked at or held). */
async function lastLook(ctx: QuotaCtx, limits: QuotaLimits): Promise<GraceLook> {
  const g = await readGrace(ctx.host, ctx.ve.paths.private);
  const ends: GraceLook['ends'] = {};
  if (g.diskspace) ends.diskspace = g.diskspace.since + limits.grace;
  if (g.diskinodes) ends.diskinodes = g.diskinodes.since + limits.grace;
  return { ends, held: g.diskspace?.held === true };
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
    if (offline) throw asQuotaError(e, 'QUOTA_USAGE', `${ctx.ve.label}: read the disk usage`, ctx.ve.label);
    ctx.log.debug(`usage: ${(e as Error).message}`);
    return undefined;
  }
}

export const quotaPlugin = definePlugin<QuotaState>({
  name: QUOTA_PLUGIN,
  // Its disk (an image, a subvolume) is made and mounted before the VE's root goes on it.
  after: ['@vzkit/template'],
  before: ['@vzkit/ns-fs'],
  configKeys: [...QUOTA_KEYS],
  listFields: QUOTA_FIELDS,
  // A conversion's files live on the VE's disk.
  watches: ['LOCAL_UID', 'LOCAL_GID'],
  commands: [vzquotaStat, vzquotaShow, ...QUOTA_COMMANDS],
  metrics: QUOTA_METRICS,
  hooks: {
    async validate(ctx) {
      const limits = quotaLimits(ctx.ve.config);
      if (!limits.space && limits.inodes) {
        throw quotaError('DISKSPACE_NOT_SET', `${ctx.ve.label}: DISKINODES needs DISKSPACE: set both, or neither (--diskinodes unlimited)`, { about: ctx.ve.label });
      }
      if (limits.space && limits.space.hard < MIN_DISKSPACE_KB) {
        throw vzError('BAD_VALUE', `${ctx.ve.label}: DISKSPACE hard limit ${limits.space.hard} is below the smallest disk, ${MIN_DISKSPACE_KB} (1 MiB)`, { about: ctx.ve.label });
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
      const bare = await settle(ctx);
      let record = bare ? undefined : await readRecord(ctx);
      if (!record && limits.space) {
        // A quota given after create: the files move onto the disk now, offline.
        record = await moveOnto(ctx, limits, { record: true });
      } else if (record && !limits.space) {
        try {
          await moveOff(ctx, record, { record: true });
          return;
        } catch (e) {
          // Undone (or, past its commit, finished) by settling; a VE that keeps its disk still starts.
          await settle(ctx);
          record = await readRecord(ctx);
          if (!record) return;
          ctx.log.warn(`the VE stays on its disk, whose size it keeps: ${(e as Error).message}`);
        }
      }
      if (!record) return;
      if (record.backend === 'image' && limits.ugid > 0 && !record.ugid) {
        // Turning the second level on (at a start, as OpenVZ has it): ext4's quota feature, offline.
        const image = join(ctx.ve.paths.private, IMAGE_FILE);
        await runTool(ctx.host, ['tune2fs', '-O', 'quota', '-Q', 'usrquota,grpquota', image], { what: `${ctx.ve.label}: turn user/group quotas on in ${image}`, code: 'QUOTA_UGID', about: ctx.ve.label });
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
      const mounted = ctx.state.get()?.mounted;
      if (mounted && (await ctx.host.mounts.isMountPoint(mounted))) return;
      await settle(ctx);
      const record = await readRecord(ctx);
      if (record?.backend !== 'image') return;
      await imageBackend.attach(ctx, record, quotaLimits(ctx.ve.config));
    },

    async umount(ctx) {
      const record = await readRecord(ctx);
      // An image mounted by a killed vzctl is in the plugin's state even if its record is not.
      await BACKENDS[record?.backend ?? 'image'].detach(ctx, record ?? { backend: 'image' });
      // A conversion killed midway (a start or mount that died) is undone or finished here.
      await settle(ctx);
    },

    async prepare(ctx, plan) {
      const record = await readRecord(ctx);
      if (!record) return;
      const limits = quotaLimits(ctx.ve.config);
      await prepareUgid(ctx, record, limits, plan);
      if (record.backend === 'project') warnRootPasses(ctx, plan);
      // A grace period that ran out while the VE was stopped holds before init's first
      // write — not at mount: overlayfs makes its work directory when ns-fs mounts the
      // root, and on a disk held full it would mount the VE's root read-only.
      if (limits.space) await observe(ctx, record, limits, undefined, true);
    },

    async update(ctx, changes) {
      const record = await readRecord(ctx);
      const limits = quotaLimits(ctx.ve.config);
      if (!record) {
        if (limits.space) ctx.log.warn('DISKSPACE is saved for the next start: the VE has no disk of its own yet, and its files move onto one then');
        return;
      }
      if (!changes.has(DISKSPACE, DISKINODES, QUOTATIME)) return;
      // Taking the quota away is not live (DISKSPACE's rule): the files move off at the next start.
      if (!limits.space) return;
      const backend = BACKENDS[record.backend];
      if (changes.has(DISKINODES) && record.backend === 'image') {
        const usage = await backend.usage(ctx, record, true);
        const want = limits.inodes?.hard;
        throw quotaError('QUOTA_SET', `${ctx.ve.label}: DISKINODES ${want ?? ''}: the disk image holds ${usage?.inodesLimit ?? 'a fixed number of'} inodes, fixed when it was made (more come only as DISKSPACE grows, a block group at a time)`, {
          about: ctx.ve.label,
          hint: 'leave DISKINODES as it is, or recreate the VE with the new value',
        });
      }
      const before = { ...limits };
      const space = changes.of(DISKSPACE);
      if (space) before.space = space.before;
      const inodes = changes.of(DISKINODES);
      if (inodes) before.inodes = inodes.before;
      await backend.apply(ctx, record, limits, before);
      // The new limits decide the soft limit's hold afresh (a higher soft limit may end it).
      await observe(ctx, record, limits, undefined, true);
      if (JSON.stringify(before) !== JSON.stringify(limits)) warnLimits(ctx, backend, record, { ...limits, ...(changes.has(DISKINODES) ? {} : { inodes: undefined }) });
    },

    async stats(ctx, running, want) {
      if (want && !want.has('diskspace') && !want.has('diskinodes')) return [];
      const record = await readRecord(ctx);
      const limits = quotaLimits(ctx.ve.config);
      if (!record) return [];
      const backend = BACKENDS[record.backend];
      const traits = backend.traits(record);
      // An image's quota is on while it is mounted (a running VE, vzctl mount, vzquota on).
      const on = record.backend === 'image' ? await diskMounted(ctx) : true;
      const usage = await usageFor(ctx, backend, record, on && (running || record.backend === 'image'), want?.has(OFFLINE_USAGE) ?? false);
      let look: GraceLook = { ends: {}, held: false };
      if (usage && traits.kernelGrace) {
        look.ends = { ...(usage.spaceGraceEnds ? { diskspace: usage.spaceGraceEnds } : {}), ...(usage.inodesGraceEnds ? { diskinodes: usage.inodesGraceEnds } : {}) };
      } else if (usage && on && limits.space) {
        try {
          look = await observe(ctx, record, limits, usage, false);
        } catch (e) {
          // A listing shows what it can: the VE may be stopping under it (vzlist takes no lock).
          ctx.log.debug(`grace: ${(e as Error).message}`);
          look = await lastLook(ctx, limits);
        }
      } else if (!traits.kernelGrace) look = await lastLook(ctx, limits);
      return quotaRows({ limits, backend: record.backend, traits, usage, graceEnds: look.ends, on, held: look.held });
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
      for (const file of [recordPath(priv), gracePath(priv)]) if (await ctx.host.fs.exists(file)) await ctx.host.fs.remove(file);
      // A create killed before ns-fs made anything leaves the directory the backend made.
      if ((await ctx.host.fs.stat(priv))?.type === 'dir' && (await ctx.host.fs.readdir(priv)).length === 0) await ctx.host.fs.remove(priv);
    },
  },
});
