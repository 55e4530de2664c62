/**
 * @vzkit/procfs: what OpenVZ's kernel showed inside a VE, served live by one FUSE server
 * per vzkit root (vzprocfs): the VE's beancounters and veinfo line (/dev/vz), and its
 * RAM and swap limits in /proc/meminfo and /proc/swaps. Register
 * {@link createProcfsPlugin} with the command that runs the server.
 * @module
 */
export { createProcfsPlugin, procfsPlugin, PROCFS_PLUGIN, type ProcfsOptions } from './plugin.js';
export { SERVED, VZ_DIR, PROC_VIEWS, vzDirOps, veOfCgroup, ownCgroupLines, veinfoLine, meminfoView, renderMeminfo, renderSwaps, meminfoField, type MeminfoView } from './plan.js';
export { instanceFor, acquire, register, release, ensureRunning, stop, keepUp, users, serving, unavailable, FS_NAME, type Instance, type UserEntry } from './instance.js';
export { procfsFiles } from './server.js';
export { vzprocfsCommand } from './command.js';
