/**
 * The beancounters as Prometheus families (`vzkit_beancounter_held{ctid,name,resource}`
 * ...), and the sampling behind `ubc:failcnt` and `ubc:oom`. A scrape reads only what the
 * kernel counts per cgroup (the core's one pass over every VE's cgroup): the rows that
 * need a walk of the VE's processes in /proc (numfile, numtcpsock, lockedpages, ...)
 * stay with vzubc, and so do peaks vzkit keeps itself (scratch files).
 */
import { UNLIMITED, perConfig, type EventBus, type MetricsContext, type MetricsVe, type PluginMetrics } from '@vzkit/core';
import { configuredLimits } from './config.js';
import { measure, type HostFacts } from './stats.js';

const FIELDS = ['held', 'maxheld', 'barrier', 'limit', 'failcnt'] as const;

const HELP: Record<(typeof FIELDS)[number], string> = {
  held: 'Beancounter usage now, in the unit of /proc/user_beancounters (pages for memory rows).',
  maxheld: 'Highest usage the kernel recorded (rows whose counter keeps a peak).',
  barrier: 'Beancounter barrier from the VE config (rows with a finite one).',
  limit: 'Beancounter limit from the VE config (rows with a finite one).',
  failcnt: 'Times the kernel refused the resource (fork at numproc, OOM kills for oomguarpages ...).',
};

/** Limits of a config, parsed once per config object (the daemon keeps it while unchanged). */
const limitsOf = perConfig(configuredLimits);

/** Fail counts and OOM kills seen, per bus (one daemon's sampling), by CTID. */
const seenBy = new WeakMap<EventBus, Map<number, { initPid: number; failcnt: Map<string, number>; oom: number }>>();

async function hostFacts(ctx: MetricsContext): Promise<HostFacts> {
  const meminfo = await ctx.host.fs.readFile('/proc/meminfo').catch(() => '');
  const swapKb = Number(/^SwapTotal:\s+(\d+) kB$/m.exec(meminfo)?.[1] ?? 0);
  return { cgroupVersion: ctx.host.cgroups.version, pageSize: ctx.host.system.pageSize, swapTotal: swapKb * 1024 };
}

/**
 * Emits `ubc:failcnt` for every counter that grew since the last sample of this VE's run,
 * `ubc:oom` when its OOM kills grew. The first sample of a run is the baseline: counts
 * from before the daemon looked are not announced (vzubc shows them).
 */
function announce(ctx: MetricsContext, ve: MetricsVe, failcnt: Map<string, number>, oomKills: number | undefined): void {
  let seen = seenBy.get(ctx.events);
  if (!seen) seenBy.set(ctx.events, (seen = new Map()));
  const last = seen.get(ve.ctid);
  if (!last || last.initPid !== ve.initPid) {
    seen.set(ve.ctid, { initPid: ve.initPid, failcnt, oom: oomKills ?? 0 });
    return;
  }
  for (const [resource, n] of failcnt) {
    if (n > (last.failcnt.get(resource) ?? 0)) ctx.events.emit('ubc:failcnt', ve.ctid, resource, n);
  }
  if (oomKills !== undefined && oomKills > last.oom) ctx.events.emit('ubc:oom', ve.ctid, oomKills - last.oom, oomKills);
  last.failcnt = failcnt;
  if (oomKills !== undefined) last.oom = oomKills;
}

export const UBC_METRICS: PluginMetrics = {
  families: FIELDS.map((f) => ({ name: `vzkit_beancounter_${f}`, help: HELP[f], type: 'gauge' as const })),
  async collect(ctx, ves, emit) {
    const facts = await hostFacts(ctx);
    const running = new Set(ves.map((v) => v.ctid));
    for (const ctid of seenBy.get(ctx.events)?.keys() ?? []) if (!running.has(ctid)) seenBy.get(ctx.events)!.delete(ctid);
    for (const ve of ves) {
      const limits = limitsOf(ve.config);
      for (const [resource, l] of limits) {
        const labels = { resource };
        if (l.barrier !== UNLIMITED) emit('vzkit_beancounter_barrier', ve, l.barrier, labels);
        if (l.limit !== UNLIMITED) emit('vzkit_beancounter_limit', ve, l.limit, labels);
      }
      if (!ve.cgroupStats) continue;
      const failcnt = new Map<string, number>();
      for (const [resource, m] of measure(facts, ve.cgroupStats, {})) {
        const labels = { resource };
        if (m.held !== undefined) emit('vzkit_beancounter_held', ve, m.held, labels);
        if (m.maxheld !== undefined) emit('vzkit_beancounter_maxheld', ve, m.maxheld, labels);
        if (m.failcnt !== undefined) {
          emit('vzkit_beancounter_failcnt', ve, m.failcnt, labels);
          failcnt.set(resource, m.failcnt);
        }
      }
      announce(ctx, ve, failcnt, ve.cgroupStats.memory?.oomKills);
    }
  },
};
