/**
 * @vzkit/ubc: user beancounters. Register {@link ubcPlugin} in a runtime to get every
 * OpenVZ beancounter as config key and CLI flag (`--numproc`, `--ram`, `--swap`, ...),
 * live limits, vzlist columns, the `vzubc` tool and sample configs.
 * @module
 */
export { ubcPlugin, UBC_PLUGIN } from './plugin.js';
export { UBC_PARAMS, DUMMY_IDS, paramByName, type UbcParam, type UbcGroup } from './params.js';
export { UBC_KEYS, AVNUMPROC, ubcKey, configuredLimits } from './config.js';
export { planLimits, type UbcPlan, type RlimitPlan } from './plan.js';
export { renderRaw, renderTable, toJson, importance, type VeBeancounters, type TableOptions } from './report.js';
export { mechanisms, measure, beancounterRows, type Mechanism, type Measured, type HostFacts } from './stats.js';
export { UBC_SAMPLES } from './samples.js';
export { UBC_METRICS } from './metrics.js';
export { parseVzubcArgs, compareWithLastRun, type VzubcOptions } from './vzubc.js';
export { UbcStore, defaultStoreDir, type UbcSnapshot } from './vzubc-store.js';
export { splitHost, hostReserve, MIN_VE_MEMORY, type SplitInput, type SplitResult } from './vzsplit.js';
export { memoryShares, type MemoryShares, type VeMemoryInput } from './memory-use.js';
export { memcheckLines } from './vzmemcheck.js';
export { calcLines } from './vzcalc.js';
export { checkBeancounters, validateConfig, type Finding, type Severity, type Validation } from './vzcfgvalidate.js';
export { hostMemory, parseMeminfo, LOWMEM_SHARE, type HostMemory } from './host-memory.js';
export { UBC_EXITS, ubcError, type UbcErrorCode } from './errors.js';
