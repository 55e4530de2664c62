/**
 * @vzkit/ns-pid — the VE's PID namespace (its init is PID 1) and the clean halt of
 * `vzctl stop` (STOP_TIMEOUT, `--stop-timeout`).
 * @packageDocumentation
 */
export { nsPidPlugin } from './plugin.js';
export { STOP_TIMEOUT } from './config.js';
export {
  detectInitSystem, haltMethod, stopTimeoutMs, SYSTEMD_POWEROFF_SIGNAL,
  type InitSystem, type InitFacts, type HaltMethod,
} from './init-system.js';
