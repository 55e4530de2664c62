/**
 * @vzkit/devices: the devices a VE may open. Register {@link devicesPlugin} for a
 * device allowlist on the VE's cgroup and OpenVZ's `DEVICES` / `--devices`.
 * @module
 */
export { devicesPlugin, DEVICES, DEFAULT_DEVICES, allowList } from './plugin.js';
