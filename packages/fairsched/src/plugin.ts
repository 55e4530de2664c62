/**
 * fairsched: OpenVZ's fair CPU scheduler on the cgroup cpu and cpuset controllers.
 * Every parameter applies at start and live; `stats` reports the VE's CPU time.
 */
import { definePlugin, vzError, type ConfigView, type HookContext, type ListField } from '@vzkit/core';
import { CPULIMIT, CPUMASK, CPUS, CPUUNITS, FAIRSCHED_KEYS } from './config.js';
import { formatCpuList } from './cpulist.js';
import { cpuProblem, limitPercent, planCpu, type CpuSettings } from './plan.js';
import { vzcpucheckCommand } from './vzcpucheck.js';
import { FAIRSCHED_METRICS } from './metrics.js';
import { fairschedError } from './errors.js';

export const FAIRSCHED_PLUGIN = '@vzkit/fairsched';

export function settingsOf(config: ConfigView): CpuSettings {
  const s: CpuSettings = {};
  const units = config.get(CPUUNITS);
  const limit = config.get(CPULIMIT);
  const cpus = config.get(CPUS);
  const mask = config.get(CPUMASK);
  if (units !== undefined) s.units = units;
  if (limit !== undefined) s.limit = limit;
  if (cpus !== undefined) s.cpus = cpus;
  if (mask !== undefined) s.mask = mask;
  return s;
}

/** Online CPUs of the host: 0..N-1. */
const onlineCpus = (ctx: HookContext) => Array.from({ length: ctx.host.system.cpus }, (_, i) => i);

const anySet = (config: ConfigView) => FAIRSCHED_KEYS.some((k) => config.has(k));

async function apply(ctx: HookContext, what: string): Promise<void> {
  const plan = planCpu(settingsOf(ctx.ve.config), onlineCpus(ctx), ctx.ve.ctid);
  try {
    await ctx.host.cgroups.set(ctx.ve.cgroup, plan.cgroup);
  } catch (e) {
    throw fairschedError('CPU_SET_FAILED', `${ctx.ve.label}: ${what} CPU parameters: ${e instanceof Error ? e.message : String(e)}`, { about: ctx.ve.label, cause: e });
  }
}

const configField = (name: string, header: string, width: number, get: (c: ConfigView, row: { ctid: number }) => string | number | undefined): ListField => ({
  name, header, width, get: (row) => get(row.config, row),
});

const FIELDS: ListField[] = [
  configField('cpuunits', 'CPUUNI', 7, (c) => c.get(CPUUNITS)),
  configField('cpulimit', 'CPULIM', 7, (c) => {
    const l = c.get(CPULIMIT);
    return l === undefined ? 0 : l.percent === 0 ? 0 : CPULIMIT.type.format(l);
  }),
  configField('cpus', 'CPUS', 5, (c) => {
    const n = c.get(CPUS);
    return n === undefined || n === 0 || !Number.isFinite(n) ? undefined : n;
  }),
  configField('cpumask', 'CPUMASK', -10, (c) => {
    const m = c.get(CPUMASK);
    return m === undefined || m === 'all' ? 'all' : formatCpuList(m);
  }),
  {
    name: 'cputime',
    header: 'CPUTIME',
    width: 10,
    needsStats: ['cpu'],
    get: (row) => {
      const ns = row.stats.get('cpu')?.held;
      return ns === undefined ? null : Math.round(ns / 1e7) / 100;
    },
  },
];

export const fairschedPlugin = definePlugin({
  name: FAIRSCHED_PLUGIN,
  configKeys: FAIRSCHED_KEYS,
  listFields: FIELDS,
  commands: [vzcpucheckCommand],
  metrics: FAIRSCHED_METRICS,
  hooks: {
    validate(ctx) {
      const problem = cpuProblem(settingsOf(ctx.ve.config), onlineCpus(ctx));
      if (problem) throw vzError('BAD_VALUE', `${ctx.ve.label}: ${problem}`, { about: ctx.ve.label });
    },

    async prepare(ctx) {
      // Defaults are the kernel's own: nothing to write for a VE that sets none.
      if (anySet(ctx.ve.config)) await apply(ctx, 'setting');
    },

    async update(ctx) {
      await apply(ctx, 'changing');
    },

    async stats(ctx, running, want) {
      if (!running || (want && !want.has('cpu'))) return [];
      const cpu = (await ctx.host.cgroups.stats(ctx.ve.cgroup)).cpu;
      if (!cpu) return [];
      const plan = planCpu(settingsOf(ctx.ve.config), onlineCpus(ctx), ctx.ve.ctid);
      return [{
        resource: 'cpu',
        held: cpu.usageNs,
        status: 'enforced',
        extra: {
          unit: 'ns',
          cpuunits: ctx.ve.config.get(CPUUNITS) ?? 1000,
          cpulimit: limitPercent(ctx.ve.config.get(CPULIMIT), ctx.host.system.cpus),
          cpus: formatCpuList(plan.cpus),
          ...(cpu.throttledNs !== undefined ? { throttledNs: cpu.throttledNs } : {}),
        },
      }];
    },
  },
});
