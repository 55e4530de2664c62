/**
 * Cgroup backends of LinuxHost. Plugins speak in limits (CgroupResources); the backend
 * picked by detectCgroupManager turns them into the files of the host's cgroup layout.
 * @module
 */
export { CgroupV1Manager, type CgroupV1Options } from './v1/manager.js';
export { detectCgroupManager, type DetectOptions } from './detect.js';
export { weightToShares } from './v1/cpu.js';
