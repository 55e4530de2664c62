/** lxcfs's failures with vzctl's exit numbers (include/vzerror.h). */
import { errorTable } from '@vzkit/core';

export const LXCFS_EXITS = {
  /** A live MEMINFO change could not reach the running VE (VZ_SET_MEMINFO_ERROR). */
  SET_MEMINFO: 129,
} as const;

export type LxcfsErrorCode = keyof typeof LXCFS_EXITS;

export const lxcfsError = errorTable(LXCFS_EXITS);
