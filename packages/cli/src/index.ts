/**
 * @vzkit/cli — vzctl and vzlist for administrators, generated from the runtime's
 * declarations, and the default composition they run on.
 * @packageDocumentation
 */
export { runVzctl } from './vzctl/main.js';
export { runVzlist } from './vzlist/main.js';
export { runTool } from './tool.js';
export { createDefaultRuntime, defaultPlugins, type DefaultRuntimeOptions } from './composition.js';
export { defaultRuntimeFactory, type RuntimeFactory, type RuntimeRequest } from './runtime-factory.js';
export type { CliIo, TextSink } from './io.js';
export { VERSION } from './version.js';
