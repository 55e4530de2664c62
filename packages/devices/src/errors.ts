/** The device plugin's failures with vzctl's exit numbers (include/vzerror.h). */
import { errorTable } from '@vzkit/core';

export const DEVICES_EXITS = {
  /** A DEVNODES node could not be found on the host or made in the VE (VZ_SET_DEVICES). */
  SET_DEVICES: 86,
  /** The VE's cgroup refused the device allowlist (VZ_SYSTEM_ERROR). */
  DEVICES_SET_FAILED: 3,
} as const;

export type DevicesErrorCode = keyof typeof DEVICES_EXITS;

export const devicesError = errorTable(DEVICES_EXITS);
