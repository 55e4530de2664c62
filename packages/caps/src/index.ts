/**
 * @vzkit/caps: the capability bounding set of the VE's root. Register {@link capsPlugin}
 * for OpenVZ's `CAPABILITY` / `--capability name:on|off`.
 * @module
 */
export { capsPlugin, CAPS_PLUGIN } from './plugin.js';
export { droppedCaps } from './plan.js';
export { CAPABILITY, type CapSetting } from './config.js';
export { CAPABILITIES, DEFAULT_OFF, HOST_ROOT_OFF, capName } from './names.js';
