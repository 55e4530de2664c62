/**
 * The motd plugin's failures. Its code is its own, with an exit number vzctl's table
 * (include/vzerror.h, 1-167) does not use, so a script can tell this refusal apart.
 */
import { errorTable } from '@vzkit/core';

export const MOTD_EXITS = {
  /** MOTD holds a control character, an unknown escape, or too many characters. */
  BAD_MOTD: 200,
} as const;

export type MotdErrorCode = keyof typeof MOTD_EXITS;

export const motdError = errorTable(MOTD_EXITS);
