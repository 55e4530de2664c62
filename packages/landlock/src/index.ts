/**
 * @vzkit/landlock — keeps the root of a VE of the host root from changing its mount
 * table (LANDLOCK, `--landlock auto|yes|no`): a Landlock domain on init and on every
 * `vzctl exec`/`enter`, and a seccomp rule on the mount calls Landlock does not see.
 * @packageDocumentation
 */
export { landlockPlugin, LANDLOCK_PLUGIN } from './plugin.js';
export { LANDLOCK, type LandlockSetting } from './config.js';
export { wantsLandlock } from './plan.js';
export { MOUNT_API, type MountCall } from './mount-api.js';
