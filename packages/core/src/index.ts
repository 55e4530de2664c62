/**
 * @vzkit/core — the microkernel of vzkit: the plugin API, the runtime and its
 * lifecycle, config files, state, locks, errors and the Host interface.
 * @packageDocumentation
 */
export * from './errors.js';
export * from './values.js';
export * from './host.js';
export * from './plan.js';
export * from './plugin.js';
export * from './paths.js';
export * from './events.js';
