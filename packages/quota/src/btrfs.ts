/**
 * The btrfs backend, for private areas on btrfs: VE_PRIVATE is made a subvolume and its
 * qgroup gets the hard space limit (`btrfs qgroup limit`), which holds every writer, root
 * included. btrfs has one limit per qgroup and no inode limit, so soft limits and
 * DISKINODES are reported only, and `df` inside shows the whole btrfs filesystem (btrfs'
 * statfs knows nothing of qgroups).
 */
import { dirname } from 'node:path';
import type { Host } from '@vzkit/core';
import type { QuotaBackend, QuotaCtx, QuotaUsage } from './backend.js';
import type { QuotaLimits } from './config.js';
import { asQuotaError, type QuotaErrorCode } from './errors.js';
import { runTool } from './tools.js';

/** Referenced bytes and its limit of the subvolume's own (level 0) qgroup, from `btrfs qgroup show -rF --raw`. */
export function parseQgroupShow(text: string): { referenced: number; limit: number | undefined } | undefined {
  for (const line of text.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (!/^0\/\d+$/.test(cols[0] ?? '')) continue;
    const referenced = Number(cols[1]);
    if (!Number.isFinite(referenced)) continue;
    const max = cols[3];
    return { referenced, limit: max !== undefined && /^\d+$/.test(max) ? Number(max) : undefined };
  }
  return undefined;
}

async function btrfs(host: Host, args: string[], what: string, code: QuotaErrorCode): Promise<string> {
  return (await runTool(host, ['btrfs', ...args], { what, code })).stdout;
}

/** Quotas must be on for the whole filesystem before a qgroup limit does anything. */
async function ensureQuotasOn(ctx: QuotaCtx, path: string): Promise<void> {
  const r = await ctx.host.processes.run(['btrfs', 'qgroup', 'show', path], { env: { LC_ALL: 'C' } });
  if (r.code === 0) return;
  await btrfs(ctx.host, ['quota', 'enable', path], `${ctx.ve.label}: turn btrfs quotas on`, 'QUOTA_INIT');
  ctx.log.warn(`btrfs quotas were off on the filesystem of ${path}: turned on (btrfs quota enable), which every subvolume there now pays for`);
}

/** The qgroup's limit: `kb` 1 KiB blocks, or none. */
async function setLimitKb(ctx: QuotaCtx, kb: number | undefined, code: QuotaErrorCode): Promise<void> {
  await btrfs(ctx.host, ['qgroup', 'limit', kb === undefined ? 'none' : String(kb * 1024), ctx.ve.paths.private], `${ctx.ve.label}: DISKSPACE ${kb ?? 'none'}`, code);
}

async function setLimit(ctx: QuotaCtx, limits: QuotaLimits, code: QuotaErrorCode): Promise<void> {
  await setLimitKb(ctx, limits.space!.hard, code);
}

/** Whether `path` is a btrfs subvolume (a private area made with the quota is one). */
export async function isSubvolume(ctx: QuotaCtx, path: string): Promise<boolean> {
  const r = await ctx.host.processes.run(['btrfs', 'subvolume', 'show', path], { env: { LC_ALL: 'C' } });
  return r.code === 0;
}

/**
 * A private area that is a subvolume already (made with a quota that was removed since)
 * gets its limit again; one that is a plain directory cannot become a subvolume in place.
 */
export async function limitSubvolume(ctx: QuotaCtx, limits: QuotaLimits): Promise<void> {
  await ensureQuotasOn(ctx, ctx.ve.paths.private);
  await setLimit(ctx, limits, 'QUOTA_INIT');
}

/** The limit lifted (the quota removed, or turned off): the subvolume stays. */
export async function liftLimit(ctx: QuotaCtx): Promise<void> {
  await setLimitKb(ctx, undefined, 'QUOTA_OFF');
}

export const btrfsBackend: QuotaBackend = {
  name: 'btrfs',

  traits: () => ({ title: 'btrfs subvolume with a qgroup limit', inodes: false, soft: true, softInodes: false, kernelGrace: false, df: false }),

  async setup(ctx, limits) {
    const priv = ctx.ve.paths.private;
    await ctx.host.fs.mkdir(dirname(priv), { recursive: true });
    try {
      await btrfs(ctx.host, ['subvolume', 'create', priv], `${ctx.ve.label}: make the subvolume ${priv}`, 'QUOTA_INIT');
      await ctx.host.fs.chmod(priv, 0o700);
      await ensureQuotasOn(ctx, priv);
      await setLimit(ctx, limits, 'QUOTA_INIT');
    } catch (e) {
      throw asQuotaError(e, 'QUOTA_INIT', `${ctx.ve.label}: btrfs quota`);
    }
    return { backend: 'btrfs' };
  },

  async attach(ctx, _record, limits) {
    // A DISKSPACE saved while the VE was stopped.
    await setLimit(ctx, limits, 'QUOTA_ON');
  },

  async detach() {
    // The qgroup limit holds whether the VE runs or not.
  },

  async apply(ctx, _record, limits) {
    await setLimit(ctx, limits, 'QUOTA_SET');
  },

  async hold(ctx, _record, limits, softKb) {
    if (limits.space) await setLimitKb(ctx, softKb ?? limits.space.hard, 'QUOTA_SET');
  },

  async usage(ctx): Promise<QuotaUsage | undefined> {
    const out = await btrfs(ctx.host, ['qgroup', 'show', '-rF', '--raw', '--sync', ctx.ve.paths.private], `${ctx.ve.label}: read the qgroup`, 'QUOTA_USAGE');
    const q = parseQgroupShow(out);
    if (!q) return undefined;
    return { spaceUsed: Math.ceil(q.referenced / 1024), inodesUsed: undefined, spaceLimit: q.limit === undefined ? undefined : q.limit / 1024, inodesLimit: undefined };
  },

  async remove(ctx) {
    const priv = ctx.ve.paths.private;
    // Normally ns-fs has removed the subvolume already (rmdir of an empty one deletes it);
    // after a killed create it may still be here. Kernels since 6.7 drop its qgroup with it.
    if (await ctx.host.fs.exists(priv)) {
      await btrfs(ctx.host, ['subvolume', 'delete', priv], `${ctx.ve.label}: delete the subvolume ${priv}`, 'QUOTA_OFF');
    }
  },
};
