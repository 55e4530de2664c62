/** The distro plugin's failures with vzctl's exit numbers (include/vzerror.h). */
import { errorTable } from '@vzkit/core';

export const DISTRO_EXITS = {
  /** The guest's chpasswd failed (`--userpasswd`). */
  CHANGEPASS: 74,
} as const;

export type DistroErrorCode = keyof typeof DISTRO_EXITS;

export const distroError = errorTable(DISTRO_EXITS);
