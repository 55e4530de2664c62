/**
 * @vzkit/fairsched: fair CPU scheduling. Register {@link fairschedPlugin} to get
 * `--cpuunits`, `--cpulimit`, `--cpus` and `--cpumask` (live), vzlist columns and the
 * `vzcpucheck` tool.
 * @module
 */
export { fairschedPlugin, FAIRSCHED_PLUGIN, settingsOf } from './plugin.js';
export { CPUUNITS, CPULIMIT, CPUS, CPUMASK, FAIRSCHED_KEYS, MIN_CPUUNITS, MAX_CPUUNITS, DEFAULT_CPUUNITS, type CpuLimit, type CpuMask } from './config.js';
export { planCpu, chooseCpus, unitsToWeight, limitPercent, cpuProblem, PERIOD_US, type CpuPlan, type CpuSettings } from './plan.js';
export { parseCpuList, formatCpuList } from './cpulist.js';
export { nodePower } from './vzcpucheck.js';
export { FAIRSCHED_METRICS } from './metrics.js';
export { FAIRSCHED_EXITS, fairschedError, type FairschedErrorCode } from './errors.js';
