/** The fair CPU scheduler's failures with vzctl's exit numbers (include/vzerror.h). */
import { errorTable } from '@vzkit/core';

export const FAIRSCHED_EXITS = {
  /** The VE's cgroup refused a CPU parameter (VZ_SETFSHD_ERROR). */
  CPU_SET_FAILED: 2,
} as const;

export type FairschedErrorCode = keyof typeof FAIRSCHED_EXITS;

export const fairschedError = errorTable(FAIRSCHED_EXITS);
