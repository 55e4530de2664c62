/** The distro plugin's failures with vzctl's exit numbers (include/vzerror.h). */
import { vzError, type VzError, type VzErrorOptions } from '@vzkit/core';

export const DISTRO_EXITS = {
  /** The guest's chpasswd failed (`--userpasswd`). */
  CHANGEPASS: 74,
} as const;

export type DistroErrorCode = keyof typeof DISTRO_EXITS;

export function distroError(code: DistroErrorCode, message: string, opts: Omit<VzErrorOptions, 'exit'> = {}): VzError {
  return vzError(code, message, { ...opts, exit: DISTRO_EXITS[code] });
}
