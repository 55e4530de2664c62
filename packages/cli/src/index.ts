/**
 * @vzkit/cli — vzctl and vzlist for administrators, generated from the runtime's
 * declarations, and the default composition they run on.
 * @packageDocumentation
 */
export { runVzctl, runCommand, findCommand, type RunOptions } from './vzctl/main.js';
export { findVerb, VERBS } from './vzctl/verbs.js';
export type { Verb, VerbContext } from './vzctl/verb.js';
export { runVzlist } from './vzlist/main.js';
export { runTool } from './tool.js';
export { createDefaultRuntime, defaultPlugins, type DefaultRuntimeOptions } from './composition.js';
export { defaultRuntimeFactory, type RuntimeFactory, type RuntimeRequest } from './runtime-factory.js';
export type { CliIo, TextSink } from './io.js';
export type { FlagSpec, GivenFlag, ParsedArgs } from './args.js';
export { VERSION } from './version.js';
export { keyFlags, whenApplied, keyLabel, type KeyFlag } from './key-flags.js';
export { createValues } from './vzctl/create.js';
export { SAVE_FLAG } from './vzctl/set.js';
export { parseCtidList, expandCtidList, runBulk, bulkExit, withoutCtLabel, BULK_MAX, DEFAULT_PARALLEL, type ListItem, type BulkOutcome, type BulkOptions } from './bulk.js';
export { forwardToDaemon, startsVes, daemonSocket, FORWARDED_ENV, type Frame } from './forward.js';
export { daemonAnswers } from './daemon-start.js';
export { describeOnlyHost } from './no-host.js';
export { reportFailure } from './report.js';
export { Printer } from './io.js';
export { withSecrets } from './secrets.js';
