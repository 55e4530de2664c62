/**
 * The project-quota backend, for private areas on an ext4 or xfs filesystem mounted with
 * `prjquota` on a kernel with quota support: VE_PRIVATE gets project id = CTID with the
 * inherit flag (`chattr -p ID +P`), so everything made below it counts for the VE, and
 * `setquota -P` sets soft and hard limits for space and inodes. The kernel enforces soft
 * limits after the grace period and `df` inside shows the project's limit (ext4 reports
 * the soft one when set). Grace periods of project quotas are per filesystem: QUOTATIME
 * of the VE set last applies to all VEs there. Writers with CAP_SYS_RESOURCE pass the
 * hard limits, the VE's root among them unless that capability is dropped.
 */
import type { Host } from '@vzkit/core';
import type { QuotaBackend, QuotaCtx, QuotaUsage } from './backend.js';
import type { QuotaLimits } from './config.js';
import { asQuotaError, quotaError, type QuotaErrorCode } from './errors.js';
import { runTool } from './tools.js';

/** The mount holding `path`: the longest mount point above it. */
export async function mountOf(host: Host, path: string): Promise<{ target: string; fstype: string; options: string } | undefined> {
  const under = (p: string, dir: string) => p === dir || p.startsWith(dir === '/' ? '/' : `${dir}/`);
  return (await host.mounts.list())
    .filter((e) => under(path, e.target))
    .sort((a, b) => b.target.length - a.target.length || b.id - a.id)[0];
}

/** A project quota line of `repquota -P -p -n`: `#101 -- used soft hard grace iused isoft ihard igrace`. */
export function parseRepquota(text: string, id: number): QuotaUsage | undefined {
  for (const line of text.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols[0] !== `#${id}`) continue;
    const nums = cols.slice(2).map(Number);
    if (nums.length < 8 || nums.slice(0, 8).some((n) => !Number.isFinite(n))) return undefined;
    const [used, , hard, bgrace, iused, , ihard, igrace] = nums as [number, number, number, number, number, number, number, number];
    return {
      spaceUsed: used,
      inodesUsed: iused,
      spaceLimit: hard || undefined,
      inodesLimit: ihard || undefined,
      ...(bgrace > 0 ? { spaceGraceEnds: bgrace } : {}),
      ...(igrace > 0 ? { inodesGraceEnds: igrace } : {}),
    };
  }
  return undefined;
}

async function limit(ctx: QuotaCtx, id: number, limits: QuotaLimits, code: QuotaErrorCode): Promise<void> {
  const mnt = await mountOf(ctx.host, ctx.ve.paths.private);
  if (!mnt) throw quotaError(code, `${ctx.ve.label}: no mount holds ${ctx.ve.paths.private}`);
  const s = limits.space!;
  const i = limits.inodes ?? { soft: 0, hard: 0 };
  const what = `${ctx.ve.label}: project quota ${id}`;
  await runTool(ctx.host, ['setquota', '-P', String(id), String(s.soft), String(s.hard), String(i.soft), String(i.hard), mnt.target], { what, code });
  // Grace periods of a quota type are the filesystem's, not the project's.
  await runTool(ctx.host, ['setquota', '-P', '-t', String(limits.grace), String(limits.grace), mnt.target], { what, code });
}

export const projectBackend: QuotaBackend = {
  name: 'project',

  traits: () => ({ title: 'project quota', inodes: true, soft: true, softInodes: true, kernelGrace: true, df: true }),

  async setup(ctx, limits) {
    const priv = ctx.ve.paths.private;
    const id = ctx.ve.ctid;
    await ctx.host.fs.mkdir(priv, { recursive: true, mode: 0o700 });
    try {
      // A private area made before the quota (given after create) brings its files into the project.
      await projectTree(ctx, id, 'QUOTA_INIT');
      await limit(ctx, id, limits, 'QUOTA_INIT');
    } catch (e) {
      throw asQuotaError(e, 'QUOTA_INIT', `${ctx.ve.label}: project quota`);
    }
    return { backend: 'project', project: id };
  },

  async attach(ctx, record, limits) {
    await limit(ctx, record.project ?? ctx.ve.ctid, limits, 'QUOTA_ON');
  },

  async detach() {
    // Project limits hold whether the VE runs or not.
  },

  async apply(ctx, record, limits) {
    await limit(ctx, record.project ?? ctx.ve.ctid, limits, 'QUOTA_SET');
  },

  async hold() {
    // The kernel turns a soft limit hard after the grace period itself.
  },

  async usage(ctx, record) {
    const mnt = await mountOf(ctx.host, ctx.ve.paths.private);
    if (!mnt) return undefined;
    const r = await runTool(ctx.host, ['repquota', '-P', '-p', '-n', mnt.target], { what: `${ctx.ve.label}: read the project quota`, code: 'QUOTA_USAGE' });
    return parseRepquota(r.stdout, record.project ?? ctx.ve.ctid);
  },

  async remove(ctx, record) {
    await dropLimits(ctx, record?.project ?? ctx.ve.ctid);
  },
};

/**
 * Every directory and regular file of the private area into project `id` (0: out of any),
 * directories with the inherit flag while `id` is not 0. Not `chattr -R`: it fails on the
 * first device node, FIFO or socket (the overlay's whiteouts are 0:0 character devices),
 * whose flags cannot be read; such files hold no blocks, and find never follows a link.
 */
async function projectTree(ctx: QuotaCtx, id: number, code: QuotaErrorCode): Promise<void> {
  const priv = ctx.ve.paths.private;
  const what = `${ctx.ve.label}: project ${id} on ${priv}`;
  await runTool(ctx.host, ['find', priv, '-xdev', '-type', 'd', '-exec', 'chattr', '-p', String(id), id === 0 ? '-P' : '+P', '{}', '+'], { what, code });
  await runTool(ctx.host, ['find', priv, '-xdev', '-type', 'f', '-exec', 'chattr', '-p', String(id), '{}', '+'], { what, code });
}

/** The project's limits go (zero is none); the files went with the private area, or stay. */
async function dropLimits(ctx: QuotaCtx, id: number): Promise<void> {
  const mnt = await mountOf(ctx.host, ctx.ve.paths.private);
  // The limits stay in the filesystem's quota file otherwise.
  if (mnt) await runTool(ctx.host, ['setquota', '-P', String(id), '0', '0', '0', '0', mnt.target], { what: `${ctx.ve.label}: drop project quota ${id}`, code: 'QUOTA_OFF' });
}

/**
 * The quota taken off a VE whose private area stays (its DISKSPACE removed): limits
 * dropped, and its files back in project 0 without the inherit flag, as they were before.
 * Idempotent: a conversion back killed midway is run again.
 */
export async function releaseProject(ctx: QuotaCtx, id: number): Promise<void> {
  await dropLimits(ctx, id);
  await projectTree(ctx, 0, 'QUOTA_OFF');
}

/** Only the limits lifted (vzquota off): the files stay in the project, which start sets again. */
export async function liftProject(ctx: QuotaCtx, id: number): Promise<void> {
  await dropLimits(ctx, id);
}
