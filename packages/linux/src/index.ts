/**
 * @vzkit/linux — the one vzkit package that touches the kernel: {@link LinuxHost}
 * (files, mounts, processes, cgroups and the native launcher).
 * @packageDocumentation
 */
export { LinuxHost, createLinuxHost, type LinuxHostOptions } from './linux-host.js';
export { LinuxHostFs, fsTypeName } from './fs.js';
export { LinuxGuestFs } from './guest-fs.js';
export { LinuxMountService, parseMountInfo, unescapeMountField, mountFlagBits, type MountInfoEntry } from './mounts.js';
export { LinuxProcessService, parseProcStat, signalName, type ProcStat } from './process.js';
export { findProgram } from './run.js';
export { LinuxSystemInfo, parseKernelConfig } from './system.js';
export { NativeLauncher, describeOp, type NativeLauncherOptions } from './launcher/launcher.js';
export { findLauncher, launcherCandidates } from './launcher/find.js';
export { errnoName, kernelError } from './errno.js';
export * from './cgroup/index.js';
export * from './net/index.js';
export { execUnderReaper, REAPER_ALREADY_RUNNING } from './reaper.js';
export { KeptFiles } from './cgroup/sampler.js';
export { LinuxFuseService, buildTree } from './fuse.js';
