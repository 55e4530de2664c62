/** Read-only views: status, stats and the list behind vzlist. */
import type { ListRow, StatRow, VeStatus } from '../plugin.js';
import { configuredCtids, loadVe, type Core, type Ve } from './ve.js';
import { runHook, withHook } from './hooks.js';
import { liveStatus } from './reconcile.js';

export interface VeStatusInfo {
  ctid: number;
  /** Config and private area exist. */
  exist: boolean;
  mounted: boolean;
  running: boolean;
  /** Another operation holds the VE right now. */
  busy: boolean;
  pid: number | undefined;
}

export async function statusOf(ve: Ve): Promise<VeStatusInfo> {
  const live = ve.exists || ve.state ? await liveStatus(ve) : 'stopped';
  const privateExists = await ve.core.host.fs.exists(ve.paths.private);
  return {
    ctid: ve.ctid,
    exist: ve.exists && privateExists,
    mounted: live === 'mounted' || live === 'running',
    running: live === 'running',
    busy: live === 'busy',
    pid: live === 'running' ? ve.state?.pid : undefined,
  };
}

/**
 * Counter rows of all plugins; the core adds `numproc` from the VE's cgroup unless a
 * plugin reports it, and `uptime` (seconds since init started, `held`).
 */
export async function statsOf(ve: Ve, running: boolean, want?: ReadonlySet<string>): Promise<Map<string, StatRow>> {
  const rows = new Map<string, StatRow>();
  if (running && (!want || want.has('numproc'))) {
    const s = await ve.core.host.cgroups.stats(ve.cgroup).catch(() => undefined);
    if (s?.pids) rows.set('numproc', { resource: 'numproc', held: s.pids.current });
  }
  const started = ve.state?.startTime;
  if (running && started !== undefined && (!want || want.has('uptime'))) {
    // Init's start in clock ticks since boot against the host's uptime: immune to clock changes.
    const { system } = ve.core.host;
    const seconds = (await system.uptime()) - started / system.clockTicks;
    rows.set('uptime', { resource: 'uptime', held: Math.max(0, Math.round(seconds * 1000) / 1000) });
  }
  for (const p of withHook(ve, 'stats')) {
    const got = (await runHook(ve, p, 'stats', running, want)) as StatRow[] | undefined;
    for (const r of got ?? []) rows.set(r.resource, r);
  }
  return rows;
}

export { configuredCtids };

/** `stats`: none, all, or the resources named (what the columns shown read). */
export async function listRows(core: Core, opts: { ctids?: number[]; stats: boolean | ReadonlySet<string> }): Promise<ListRow[]> {
  const ctids = opts.ctids ?? (await configuredCtids(core));
  const rows: ListRow[] = [];
  for (const ctid of ctids) {
    const ve = await loadVe(core, ctid, { mustExist: false });
    if (!ve.exists) continue;
    const live = await liveStatus(ve);
    const status: VeStatus = live === 'running' ? 'running' : live === 'mounted' ? 'mounted' : live === 'busy' ? (ve.state?.pid ? 'running' : 'stopped') : 'stopped';
    rows.push({
      ctid,
      status,
      config: ve.config,
      stats: opts.stats ? await statsOf(ve, status === 'running', opts.stats === true ? undefined : opts.stats) : new Map(),
      initPid: status === 'running' ? ve.state?.pid : undefined,
    });
  }
  return rows;
}
