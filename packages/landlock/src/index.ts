/**
 * @vzkit/landlock — keeps the root of a VE of the host root from changing its mount
 * table (LANDLOCK, `--landlock auto|yes|no`): a Landlock domain on init and on every
 * `vzctl exec`/`enter`, and a seccomp rule on the mount calls Landlock does not see.
 * @packageDocumentation
 */
export { landlockPlugin, LANDLOCK, LANDLOCK_PLUGIN, wantsLandlock, type LandlockSetting } from './plugin.js';
export { MOUNT_API, type MountCall } from './mount-api.js';
