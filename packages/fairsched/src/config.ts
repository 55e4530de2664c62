/**
 * Config keys of the fair CPU scheduler, as vzctl has them: CPUUNITS (weight), CPULIMIT
 * (percent of one CPU, or `N%` of the whole host), CPUS (how many CPUs the VE uses and
 * sees) and CPUMASK (which CPUs). All change live.
 */
import { defineKey, integer, ValueError, type ValueType } from '@vzkit/core';
import { formatCpuList, parseCpuList } from './cpulist.js';

export const MIN_CPUUNITS = 8;
export const MAX_CPUUNITS = 500000;
export const DEFAULT_CPUUNITS = 1000;

export const CPUUNITS = defineKey<number>({
  name: 'CPUUNITS',
  type: integer({ min: MIN_CPUUNITS, max: MAX_CPUUNITS }),
  default: DEFAULT_CPUUNITS,
  description: `CPU weight against the other VEs (${MIN_CPUUNITS}..${MAX_CPUUNITS}, default ${DEFAULT_CPUUNITS}): 1000 and 3000 share a busy host 1:3`,
  live: true,
  flag: 'cpuunits',
});

/** A CPU limit as given: percent of one CPU, or (`N%`) percent of the whole host. */
export interface CpuLimit {
  percent: number;
  ofHost: boolean;
}

const cpuLimitType: ValueType<CpuLimit> = {
  arg: 'N|N%',
  parse(raw) {
    const m = /^(\d+)(%?)$/.exec(raw.trim());
    if (!m) throw new ValueError(`'${raw}' is not a percentage (N: of one CPU, N%: of the whole host)`);
    const percent = Number(m[1]);
    const ofHost = m[2] === '%';
    if (ofHost && percent > 100) throw new ValueError(`'${raw}': a share of the whole host is at most 100%`);
    return { percent, ofHost };
  },
  format: (v) => `${v.percent}${v.ofHost ? '%' : ''}`,
};

export const CPULIMIT = defineKey<CpuLimit>({
  name: 'CPULIMIT',
  type: cpuLimitType,
  description: 'Hard CPU limit: N percent of one CPU (up to 100 x CPUs), or N% of the whole host; 0 = none',
  live: true,
  flag: 'cpulimit',
});

export const CPUS = defineKey<number>({
  name: 'CPUS',
  type: integer({ min: 0, max: 4096, unlimited: true }),
  description: 'How many CPUs the VE may use at once and sees (nproc); 0 or unlimited = all',
  live: true,
  flag: 'cpus',
});

/** A CPU mask: the CPUs, or undefined for `all`. */
export type CpuMask = number[] | 'all';

export const CPUMASK = defineKey<CpuMask>({
  name: 'CPUMASK',
  type: {
    arg: 'LIST|all',
    parse: (raw) => (raw.trim() === 'all' || raw.trim() === 'auto' ? 'all' : parseCpuList(raw)),
    format: (v) => (v === 'all' ? 'all' : formatCpuList(v)),
  },
  description: 'Which CPUs the VE may run on, e.g. 0-2,7; all = every CPU',
  live: true,
  flag: 'cpumask',
});

export const FAIRSCHED_KEYS = [CPUUNITS, CPULIMIT, CPUS, CPUMASK] as const;
