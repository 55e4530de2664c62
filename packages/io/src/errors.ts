/** The I/O plugin's failures with vzctl's exit numbers (include/vzerror.h). */
import { errorTable } from '@vzkit/core';

export const IO_EXITS = {
  /** IOPRIO, IOLIMIT or IOPSLIMIT could not be set (VZ_SET_IO). */
  SET_IO: 148,
} as const;

export type IoErrorCode = keyof typeof IO_EXITS;

export const ioError = errorTable(IO_EXITS);
