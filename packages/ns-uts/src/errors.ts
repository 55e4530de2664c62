/** The UTS namespace's failures with vzctl's exit numbers (include/vzerror.h). */
import { vzError, type VzError, type VzErrorOptions } from '@vzkit/core';

export const UTS_EXITS = {
  BAD_HOSTNAME: 70,
} as const;

export type UtsErrorCode = keyof typeof UTS_EXITS;

export function utsError(code: UtsErrorCode, message: string, opts: Omit<VzErrorOptions, 'exit'> = {}): VzError {
  return vzError(code, message, { ...opts, exit: UTS_EXITS[code] });
}
