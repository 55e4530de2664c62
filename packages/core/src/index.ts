/**
 * @vzkit/core — the microkernel of vzkit: the plugin API, the runtime and its
 * lifecycle, config files, state, locks, errors and the Host interface.
 * @packageDocumentation
 */
export * from './errors.js';
export * from './values.js';
export * from './host.js';
export { OutputLines } from './run-output.js';
export * from './plan.js';
export * from './plugin.js';
export { perConfig } from './per-config.js';
export { reusedFor, sharedWhileRunning } from './shared-run.js';
export * from './paths.js';
export * from './events.js';
export * from './config-file.js';
export { VeConfig, parseKeyValue } from './config.js';
export * from './core-keys.js';
export { FEATURES, featureSetting, type FeatureSettings } from './features.js';
export * from './ctid.js';
export { PluginRegistry, ContextRegistry } from './registry.js';
export { orderPlugins } from './plugin-order.js';
export * from './runtime.js';
export { StateStore, type VeState, type StatePhase } from './state.js';
export { DEFAULT_STOP_TIMEOUT_MS } from './lifecycle/stop.js';
export { armFault, faultPoint } from './fault.js';
export { FileLock, type LockFs, type LockHolder, type LockOptions } from './lock.js';
export { TurnLock, turnLock, type LockTurn } from './turn-lock.js';
export { writeFileAtomic } from './atomic-file.js';
export { readGuestFile, writeGuestFile, statGuestFile, skipIfRefused, isGuestFileRefusal, guestRefusal, guestPathParts, type GuestCtx } from './guest-files.js';
export * from './services.js';
export * from './xattr-formats.js';
export { scanIds, shiftIds, shiftCaps, reverseShift, type IdShift, type KeptAttrs, type TreeScan, type Restore } from './id-shift.js';
