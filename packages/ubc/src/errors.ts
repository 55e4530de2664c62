/** The beancounters' failures with vzctl's exit numbers (include/vzerror.h). */
import { vzError, type VzError, type VzErrorOptions } from '@vzkit/core';

export const UBC_EXITS = {
  /** A beancounter could not be set on the VE (VZ_SETUBC_ERROR). */
  UBC_SET_FAILED: 1,
} as const;

export type UbcErrorCode = keyof typeof UBC_EXITS;

export function ubcError(code: UbcErrorCode, message: string, opts: Omit<VzErrorOptions, 'exit'> = {}): VzError {
  return vzError(code, message, { ...opts, exit: UBC_EXITS[code] });
}
