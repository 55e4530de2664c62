/** The fair CPU scheduler's failures with vzctl's exit numbers (include/vzerror.h). */
import { vzError, type VzError, type VzErrorOptions } from '@vzkit/core';

export const FAIRSCHED_EXITS = {
  /** The VE's cgroup refused a CPU parameter (VZ_SETFSHD_ERROR). */
  CPU_SET_FAILED: 2,
} as const;

export type FairschedErrorCode = keyof typeof FAIRSCHED_EXITS;

export function fairschedError(code: FairschedErrorCode, message: string, opts: Omit<VzErrorOptions, 'exit'> = {}): VzError {
  return vzError(code, message, { ...opts, exit: FAIRSCHED_EXITS[code] });
}
