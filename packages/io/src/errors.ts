/** The I/O plugin's failures with vzctl's exit numbers (include/vzerror.h). */
import { vzError, type VzError, type VzErrorOptions } from '@vzkit/core';

export const IO_EXITS = {
  /** IOPRIO, IOLIMIT or IOPSLIMIT could not be set (VZ_SET_IO). */
  SET_IO: 148,
} as const;

export type IoErrorCode = keyof typeof IO_EXITS;

export function ioError(code: IoErrorCode, message: string, opts: Omit<VzErrorOptions, 'exit'> = {}): VzError {
  return vzError(code, message, { ...opts, exit: IO_EXITS[code] });
}
