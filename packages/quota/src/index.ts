/**
 * @vzkit/quota — OpenVZ's two-level disk quota for vzkit VEs: DISKSPACE, DISKINODES,
 * QUOTATIME and QUOTAUGIDLIMIT, held by a per-VE ext4 image on a loop device (default,
 * any kernel; `df` inside shows the limit), btrfs qgroups (private area on btrfs) or
 * ext4/xfs project quota (kernels with quota support); `vzquota stat|show` and the vzlist
 * columns `diskspace`, `diskinodes` (`.s`, `.h`).
 * @packageDocumentation
 */
export { quotaPlugin, QUOTA_PLUGIN, BACKENDS, MIN_DISKSPACE_KB } from './plugin.js';
export {
  DISKSPACE, DISKINODES, QUOTATIME, QUOTAUGIDLIMIT, DISK_QUOTA, QUOTA_BACKEND, QUOTA_KEYS, DEFAULT_QUOTATIME,
  softHard, quotaLimits, type SoftHard, type QuotaLimits, type BackendChoice,
} from './config.js';
export type { BackendName, BackendTraits, QuotaBackend, QuotaRecord, QuotaUsage, QuotaState } from './backend.js';
export { chooseBackend, kernelQuotaSupport, probePrivate, type Detected } from './detect.js';
export { QUOTA_EXITS, type QuotaErrorCode } from './errors.js';
export { imagePlan, limitBlocks, roomBlocks, journalBlocks, inodeCount, reservedClusters, nextImageBlocks, type ImagePlan, type ImageMode } from './plan.js';
export { parseDumpe2fs, mkfsArgv, type Superblock } from './e2fs.js';
export { parseQgroupShow } from './btrfs.js';
export { parseRepquota } from './project.js';
export { QUOTA_FIELDS } from './fields.js';
export { graceText, renderTable, toJson, type QuotaReport } from './report.js';
export { vzquotaStat, vzquotaShow } from './vzquota.js';
export { UGID_MOUNT, ugidOps } from './ugid.js';
export { DISK_DIR, IMAGE_FILE } from './layout.js';
export { QUOTA_METRICS } from './metrics.js';
