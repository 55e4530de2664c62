/**
 * The quota's failures with vzctl's exit numbers (include/vzerror.h, 60-68), so scripts
 * written for OpenVZ read them the same way.
 */
import { errorTable, isVzError, vzError, wrapError, type VzError } from '@vzkit/core';

export const QUOTA_EXITS = {
  /** `vzquota on` failed: the quota could not be turned on at mount or start. */
  QUOTA_ON: 60,
  /** `vzquota init` failed: the disk (image, subvolume, project) could not be made. */
  QUOTA_INIT: 61,
  /** `vzquota setlimit` failed: new limits could not be applied. */
  QUOTA_SET: 62,
  DISKSPACE_NOT_SET: 63,
  DISKINODES_NOT_SET: 64,
  /** Second-level (user/group) quota could not be set up. */
  QUOTA_UGID: 65,
  QUOTA_OFF: 66,
  /** Second-level quota asked for but not on in the running VE. */
  QUOTA_UGID_NOT_INIT: 67,
  QUOTA_USAGE: 68,
} as const;

export type QuotaErrorCode = keyof typeof QUOTA_EXITS;

export const quotaError = errorTable(QUOTA_EXITS);

/**
 * A failure of a host step (mkfs, mount, a btrfs command) reported under a quota code,
 * keeping the kernel's errno and path; failures that already carry a quota code stay.
 */
export function asQuotaError(e: unknown, code: QuotaErrorCode, context: string, about?: string): VzError {
  if (isVzError(e) && e.code in QUOTA_EXITS) return e;
  const inner = isVzError(e) ? e : wrapError(e, 'host');
  return vzError(code, `${context}: ${inner.message}`, {
    exit: QUOTA_EXITS[code],
    cause: e,
    about,
    ...(inner.errno ? { errno: inner.errno } : {}),
    ...(inner.path ? { path: inner.path } : {}),
    ...(inner.hint ? { hint: inner.hint } : {}),
  });
}
