/**
 * From OpenVZ's CPU parameters to cgroup limits. cpuunits keep their ratios as weights
 * (1000 units = the kernel's default weight); cpulimit and cpus become one CFS quota;
 * cpus and cpumask become the VE's cpuset, which is also what `nproc` inside counts.
 */
import type { CgroupResources } from '@vzkit/core';
import { DEFAULT_CPUUNITS, type CpuLimit, type CpuMask } from './config.js';
import { formatCpuList } from './cpulist.js';

/** CFS period: 100 ms, the kernel's default. */
export const PERIOD_US = 100_000;

export interface CpuSettings {
  units?: number;
  limit?: CpuLimit;
  /** 0 or Infinity = all. */
  cpus?: number;
  mask?: CpuMask;
}

/** cpuunits → weight (v2 units, 1..10000; 1000 units = 100, the default). */
export function unitsToWeight(units: number): number {
  return Math.min(10000, Math.max(1, Math.round(units / 10)));
}

/** The limit in percent of one CPU (0 = none), `N%` of the host turned into N x CPUs. */
export function limitPercent(limit: CpuLimit | undefined, hostCpus: number): number {
  if (!limit) return 0;
  return limit.ofHost ? limit.percent * hostCpus : limit.percent;
}

const wantsCount = (cpus: number | undefined): cpus is number => cpus !== undefined && cpus > 0 && Number.isFinite(cpus);

/**
 * The CPUs a VE runs on: its mask (or every CPU), and with `cpus N` N of them, starting
 * at a place that rotates with the CTID so that VEs with few CPUs spread over the host.
 */
export function chooseCpus(settings: CpuSettings, online: readonly number[], ctid: number): number[] {
  const allowed = settings.mask === undefined || settings.mask === 'all' ? [...online] : [...settings.mask];
  if (!wantsCount(settings.cpus) || settings.cpus >= allowed.length) return allowed;
  const start = ctid % allowed.length;
  return Array.from({ length: settings.cpus }, (_, i) => allowed[(start + i) % allowed.length]!).sort((a, b) => a - b);
}

export interface CpuPlan {
  cgroup: CgroupResources;
  /** CPUs in the cpuset; what `nproc` inside reports. */
  cpus: number[];
  /** Effective hard limit in percent of one CPU; 0 = none. */
  limitPercent: number;
}

export function planCpu(settings: CpuSettings, online: readonly number[], ctid: number): CpuPlan {
  const cpus = chooseCpus(settings, online, ctid);
  let pct = limitPercent(settings.limit, online.length);
  // `cpus N` also caps the time at N CPUs, as OpenVZ's vcpus did.
  if (wantsCount(settings.cpus)) pct = pct === 0 ? settings.cpus * 100 : Math.min(pct, settings.cpus * 100);
  return {
    cgroup: {
      cpu: {
        weight: unitsToWeight(settings.units ?? DEFAULT_CPUUNITS),
        period: PERIOD_US,
        quota: pct > 0 ? Math.round((pct / 100) * PERIOD_US) : null,
      },
      cpuset: { cpus: formatCpuList(cpus) },
    },
    cpus,
    limitPercent: pct,
  };
}

/** The first contradiction between the settings and this host, as `KEY (--flag): reason`. */
export function cpuProblem(settings: CpuSettings, online: readonly number[]): string | undefined {
  const n = online.length;
  if (settings.limit && !settings.limit.ofHost && settings.limit.percent > n * 100) {
    return `CPULIMIT (--cpulimit): ${settings.limit.percent}% of one CPU is more than this host's ${n} CPUs give (${n * 100})`;
  }
  if (Array.isArray(settings.mask)) {
    const missing = settings.mask.filter((c) => !online.includes(c));
    if (missing.length) return `CPUMASK (--cpumask): CPU ${formatCpuList(missing)} is not online on this host (online: ${formatCpuList(online)})`;
  }
  if (wantsCount(settings.cpus)) {
    const allowed = Array.isArray(settings.mask) ? settings.mask.length : n;
    if (settings.cpus > allowed) {
      return `CPUS (--cpus): ${settings.cpus} is more than the ${allowed} CPUs ${Array.isArray(settings.mask) ? 'in CPUMASK' : 'of this host'}`;
    }
  }
  return undefined;
}
