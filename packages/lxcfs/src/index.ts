/**
 * @vzkit/lxcfs: the VE's own view of /proc through lxcfs. Register {@link lxcfsPlugin}
 * (after ns-fs) and a VE's /proc/cpuinfo, /proc/stat, /proc/loadavg, /proc/meminfo and
 * /proc/uptime show its own CPUs, load, memory and uptime.
 * @module
 */
export { lxcfsPlugin, LXCFS_PLUGIN } from './plugin.js';
export { MEMINFO, type Meminfo } from './config.js';
export { VIEWS, wantedViews } from './plan.js';
export { acquire, release, instanceFor, ensureRunning, stop, unavailable, type Instance } from './daemon.js';
export { LXCFS_EXITS, lxcfsError, type LxcfsErrorCode } from './errors.js';
