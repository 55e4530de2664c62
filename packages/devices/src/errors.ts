/** The device plugin's failures with vzctl's exit numbers (include/vzerror.h). */
import { vzError, type VzError, type VzErrorOptions } from '@vzkit/core';

export const DEVICES_EXITS = {
  /** A DEVNODES node could not be found on the host or made in the VE (VZ_SET_DEVICES). */
  SET_DEVICES: 86,
  /** The VE's cgroup refused the device allowlist (VZ_SYSTEM_ERROR). */
  DEVICES_SET_FAILED: 3,
} as const;

export type DevicesErrorCode = keyof typeof DEVICES_EXITS;

export function devicesError(code: DevicesErrorCode, message: string, opts: Omit<VzErrorOptions, 'exit'> = {}): VzError {
  return vzError(code, message, { ...opts, exit: DEVICES_EXITS[code] });
}
