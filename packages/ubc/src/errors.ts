/** The beancounters' failures with vzctl's exit numbers (include/vzerror.h). */
import { errorTable } from '@vzkit/core';

export const UBC_EXITS = {
  /** A beancounter could not be set on the VE (VZ_SETUBC_ERROR). */
  UBC_SET_FAILED: 1,
} as const;

export type UbcErrorCode = keyof typeof UBC_EXITS;

export const ubcError = errorTable(UBC_EXITS);
