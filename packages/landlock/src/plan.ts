/**
 * Whether a VE is locked and what locking it asks of the launcher: a Landlock domain and
 * a seccomp rule on the mount calls Landlock does not see (mount-api.ts), for init and
 * for every `vzctl exec`/`enter`. Pure.
 */
import type { ChildOp } from '@vzkit/core';
import type { LandlockSetting } from './config.js';
import { MOUNT_API } from './mount-api.js';

/** Whether a VE is locked: with `auto`, exactly the VEs without a user namespace. */
export function wantsLandlock(value: LandlockSetting | undefined, privileged: boolean): boolean {
  return value === 'yes' || ((value ?? 'auto') === 'auto' && privileged);
}

/** The ops every process of a locked VE runs. */
export function landlockOps(): ChildOp[] {
  return [{ op: 'landlock' }, { op: 'seccomp', deny: MOUNT_API.map((c) => c.name) }];
}
