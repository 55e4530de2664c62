/**
 * io: a VE's share of disk time (IOPRIO) and its bandwidth and operation limits (IOLIMIT,
 * IOPSLIMIT) on the I/O controller of its cgroup (v1 blkio, v2 io), live. The limits are
 * per block device, so they are set on every disk the VE reads and writes: the one
 * holding its private area (its own image's loop device when disk quota made one) and
 * the one holding its template. A weight needs an I/O scheduler that shares by weight
 * (BFQ, or v2's io.cost); without one IOPRIO is said to be unused, not silently dropped.
 */
import { join } from 'node:path';
import { definePlugin, isVzError, type BlockDevice, type ConfigView, type HookContext, type ListField } from '@vzkit/core';
import { IO_KEYS, IOLIMIT, IOPRIO, IOPSLIMIT } from './config.js';
import { ioResources, limitOf } from './plan.js';
import { ioError } from './errors.js';

export const IO_PLUGIN = '@vzkit/io';

/** The disks under the VE's files: private area (and the image its `fs` leads into) and template. */
async function veDisks(ctx: HookContext): Promise<BlockDevice[]> {
  const { private: priv, template } = ctx.ve.paths;
  const found = new Map<string, BlockDevice>();
  for (const path of [priv, join(priv, 'fs'), template]) {
    if (!(await ctx.host.fs.exists(path))) continue;
    for (const d of await ctx.host.fs.disks(path)) found.set(`${d.major}:${d.minor}`, d);
  }
  return [...found.values()];
}

async function apply(ctx: HookContext, what: { weight: boolean; limits: boolean }): Promise<void> {
  const config = ctx.ve.config;
  const disks = what.limits ? await veDisks(ctx) : [];
  const io = ioResources(config, disks, what);
  if (what.limits && !disks.length && (limitOf(config.get(IOLIMIT)) !== null || limitOf(config.get(IOPSLIMIT)) !== null)) {
    ctx.log.warn(`IOLIMIT/IOPSLIMIT: not applied: the VE's files are on no block device the I/O controller can limit (${ctx.ve.paths.private})`);
  }
  if (!io) return;
  const prio = config.get(IOPRIO);
  try {
    await ctx.host.cgroups.set(ctx.ve.cgroup, { io });
  } catch (e) {
    // The VE runs either way; the administrator learns which part does nothing here.
    if (isVzError(e) && e.code === 'UNSUPPORTED') {
      ctx.log.warn(`${io.weight !== undefined && prio !== undefined ? `IOPRIO ${prio}` : 'disk I/O limits'}: not applied: ${e.message}`);
      return;
    }
    throw ioError('SET_IO', `${ctx.ve.label}: disk I/O parameters: ${e instanceof Error ? e.message : String(e)}`, { about: ctx.ve.label, cause: e });
  }
}

const configField = (name: string, header: string, width: number, get: (c: ConfigView) => number | undefined): ListField => ({
  name, header, width, get: (row) => get(row.config),
});

const FIELDS: ListField[] = [
  configField('ioprio', 'IOP', 3, (c) => c.get(IOPRIO)),
  configField('iolimit', 'IOLIMIT', 10, (c) => c.get(IOLIMIT) ?? 0),
  configField('iopslimit', 'IOPS', 4, (c) => {
    const n = c.get(IOPSLIMIT);
    return n === undefined || !Number.isFinite(n) ? 0 : n;
  }),
];

export const ioPlugin = definePlugin({
  name: IO_PLUGIN,
  configKeys: [...IO_KEYS],
  listFields: FIELDS,
  hooks: {
    async prepare(ctx) {
      const c = ctx.ve.config;
      // A new group has no limits and the default weight: write only what the config asks.
      await apply(ctx, { weight: c.get(IOPRIO) !== undefined, limits: limitOf(c.get(IOLIMIT)) !== null || limitOf(c.get(IOPSLIMIT)) !== null });
    },
    async update(ctx, changes) {
      await apply(ctx, { weight: changes.has(IOPRIO), limits: changes.has(IOLIMIT, IOPSLIMIT) });
    },
  },
});
