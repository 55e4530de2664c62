/**
 * @vzkit/ns-pid — the VE's PID namespace (its init is PID 1), the clean halt of
 * `vzctl stop` (STOP_TIMEOUT, `--stop-timeout`), and vzpid, vzps and vztop.
 * @packageDocumentation
 */
export { nsPidPlugin } from './plugin.js';
export { STOP_TIMEOUT } from './config.js';
export {
  detectInitSystem, haltMethod, stopTimeoutMs, SYSTEMD_POWEROFF_SIGNAL,
  type InitSystem, type InitFacts, type HaltMethod,
} from './init-system.js';
export { veOfPids, procStatus, selectedPids, takeVeOptions, pidColumnEnd, pidOfRow, type ProcStatus } from './ve-processes.js';
export { keepRows } from './vzps.js';
export { FrameFilter, TOP_MAX_PIDS } from './vztop.js';
