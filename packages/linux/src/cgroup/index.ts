/**
 * Cgroup backends of LinuxHost. Plugins speak in limits (CgroupResources); the backend
 * picked by detectCgroupManager turns them into the files of the host's cgroup layout:
 * CgroupV1Manager for legacy and hybrid hosts, CgroupV2Manager for the unified tree.
 * @module
 */
export { CgroupV1Manager, type CgroupV1Options } from './v1/manager.js';
export { CgroupV2Manager, type CgroupV2Options } from './v2/manager.js';
export { detectCgroupManager, type DetectOptions } from './detect.js';
export { weightToShares } from './v1/cpu.js';
