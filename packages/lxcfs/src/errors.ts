/** lxcfs's failures with vzctl's exit numbers (include/vzerror.h). */
import { vzError, type VzError, type VzErrorOptions } from '@vzkit/core';

export const LXCFS_EXITS = {
  /** A live MEMINFO change could not reach the running VE (VZ_SET_MEMINFO_ERROR). */
  SET_MEMINFO: 129,
} as const;

export type LxcfsErrorCode = keyof typeof LXCFS_EXITS;

export function lxcfsError(code: LxcfsErrorCode, message: string, opts: Omit<VzErrorOptions, 'exit'> = {}): VzError {
  return vzError(code, message, { ...opts, exit: LXCFS_EXITS[code] });
}
