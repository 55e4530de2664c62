/**
 * Disk usage and quota as Prometheus families, and the sampling behind `quota:limit`.
 * Usage comes from a statfs of each running VE's own disk (the image backend, mounted
 * while the VE runs): one call per VE, no program. The project and btrfs backends read
 * usage with repquota and btrfs, programs a scrape does not run; their VEs show their
 * limits only (vzquota stat shows the rest).
 */
import { perConfig, type EventBus, type MetricsContext, type MetricsVe, type PluginMetrics } from '@vzkit/core';
import './events.js';
import type { QuotaState } from './backend.js';
import { quotaLimits } from './config.js';
import { QUOTA_PLUGIN } from './plugin.js';

const limitsOf = perConfig(quotaLimits);

type Level = 'soft' | 'hard' | undefined;
/** The level each VE's resources were at in the last sample, per bus. */
const levelsBy = new WeakMap<EventBus, Map<number, { diskspace: Level; diskinodes: Level }>>();

function crossed(ctx: MetricsContext, ve: MetricsVe, resource: 'diskspace' | 'diskinodes', level: Level, used: number, limit: number): void {
  let all = levelsBy.get(ctx.events);
  if (!all) levelsBy.set(ctx.events, (all = new Map()));
  let mine = all.get(ve.ctid);
  if (!mine) all.set(ve.ctid, (mine = { diskspace: undefined, diskinodes: undefined }));
  const before = mine[resource];
  mine[resource] = level;
  const rank = (l: Level) => (l === 'hard' ? 2 : l === 'soft' ? 1 : 0);
  if (level && rank(level) > rank(before)) ctx.events.emit('quota:limit', ve.ctid, resource, level, used, limit);
}

export const QUOTA_METRICS: PluginMetrics = {
  families: [
    { name: 'vzkit_disk_space_used_bytes', help: 'Space used on the VE\'s own disk (VEs with DISKSPACE on a disk image).', type: 'gauge' },
    { name: 'vzkit_disk_space_soft_limit_bytes', help: 'DISKSPACE soft limit.', type: 'gauge' },
    { name: 'vzkit_disk_space_hard_limit_bytes', help: 'DISKSPACE hard limit.', type: 'gauge' },
    { name: 'vzkit_disk_inodes_used', help: 'Inodes used on the VE\'s own disk (disk image).', type: 'gauge' },
    { name: 'vzkit_disk_inodes_soft_limit', help: 'DISKINODES soft limit.', type: 'gauge' },
    { name: 'vzkit_disk_inodes_hard_limit', help: 'DISKINODES hard limit.', type: 'gauge' },
  ],
  async collect(ctx, ves, emit) {
    for (const ve of ves) {
      const limits = limitsOf(ve.config);
      if (!limits.space) continue;
      const { space, inodes } = limits;
      emit('vzkit_disk_space_soft_limit_bytes', ve, space.soft * 1024);
      emit('vzkit_disk_space_hard_limit_bytes', ve, space.hard * 1024);
      if (inodes) {
        emit('vzkit_disk_inodes_soft_limit', ve, inodes.soft);
        emit('vzkit_disk_inodes_hard_limit', ve, inodes.hard);
      }
      const mounted = (ve.pluginStates[QUOTA_PLUGIN] as QuotaState | undefined)?.mounted;
      if (!mounted) continue;
      const st = await ctx.host.fs.statfs(mounted).catch(() => undefined);
      if (!st || st.type !== 'ext4') continue;
      const used = (st.blocks - st.blocksFree) * st.blockSize;
      const inodesUsed = st.files - st.filesFree;
      emit('vzkit_disk_space_used_bytes', ve, used);
      emit('vzkit_disk_inodes_used', ve, inodesUsed);
      const full = st.blocksAvailable === 0 || used >= space.hard * 1024;
      crossed(ctx, ve, 'diskspace', full ? 'hard' : used > space.soft * 1024 ? 'soft' : undefined, used, full ? space.hard * 1024 : space.soft * 1024);
      if (inodes) {
        const noInodes = st.filesFree === 0 || inodesUsed >= inodes.hard;
        crossed(ctx, ve, 'diskinodes', noInodes ? 'hard' : inodesUsed > inodes.soft ? 'soft' : undefined, inodesUsed, noInodes ? inodes.hard : inodes.soft);
      }
    }
  },
};
