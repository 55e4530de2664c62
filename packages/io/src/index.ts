/**
 * @vzkit/io: a VE's disk I/O priority and limits (OpenVZ's IOPRIO, IOLIMIT, IOPSLIMIT;
 * `--ioprio`, `--iolimit`, `--iopslimit`) on the cgroup I/O controller, live. Register
 * {@link ioPlugin}.
 * @module
 */
export { ioPlugin, IO_PLUGIN } from './plugin.js';
export { IOPRIO, IOLIMIT, IOPSLIMIT, IOPRIO_WEIGHTS } from './config.js';
export { ioResources } from './plan.js';
export { IO_EXITS, ioError, type IoErrorCode } from './errors.js';
