/**
 * CPU as Prometheus families: time used and time throttled by the CPU limit (counters,
 * from the core's one pass over the VEs' cgroups), the limit and weight from the config.
 */
import { perConfig, type MetricsVe, type PluginMetrics } from '@vzkit/core';
import { CPULIMIT, CPUUNITS } from './config.js';
import { limitPercent } from './plan.js';

/** cpulimit in percent of one CPU, per config object (the daemon keeps it while unchanged). */
const configured = perConfig((config, cpus: number) => ({ units: config.get(CPUUNITS) ?? 1000, limit: limitPercent(config.get(CPULIMIT), cpus) }));

const settings = (ve: MetricsVe, cpus: number): { units: number; limit: number } => configured(ve.config, cpus);

export const FAIRSCHED_METRICS: PluginMetrics = {
  families: [
    { name: 'vzkit_cpu_seconds_total', help: 'CPU time used by the VE (all its processes, every CPU).', type: 'counter' },
    { name: 'vzkit_cpu_throttled_seconds_total', help: 'Time the VE was held back by its CPU limit (CFS throttling).', type: 'counter' },
    { name: 'vzkit_cpu_units', help: 'CPUUNITS: the VE\'s CPU weight (1000 = the default share).', type: 'gauge' },
    { name: 'vzkit_cpu_limit_percent', help: 'CPULIMIT in percent of one CPU (VEs with a limit).', type: 'gauge' },
  ],
  collect(ctx, ves, emit) {
    for (const ve of ves) {
      const s = settings(ve, ctx.host.system.cpus);
      emit('vzkit_cpu_units', ve, s.units);
      if (s.limit > 0) emit('vzkit_cpu_limit_percent', ve, s.limit);
      const cpu = ve.cgroupStats?.cpu;
      if (!cpu) continue;
      emit('vzkit_cpu_seconds_total', ve, cpu.usageNs / 1e9);
      if (cpu.throttledNs !== undefined) emit('vzkit_cpu_throttled_seconds_total', ve, cpu.throttledNs / 1e9);
    }
  },
};
