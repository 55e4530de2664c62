/** The UTS namespace's failures with vzctl's exit numbers (include/vzerror.h). */
import { errorTable } from '@vzkit/core';

export const UTS_EXITS = {
  BAD_HOSTNAME: 70,
} as const;

export type UtsErrorCode = keyof typeof UTS_EXITS;

export const utsError = errorTable(UTS_EXITS);
