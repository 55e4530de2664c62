/**
 * @vzkit/devices: the devices a VE may open. Register {@link devicesPlugin} for a
 * device allowlist on the VE's cgroup, OpenVZ's `DEVICES` / `--devices` (by number),
 * `DEVNODES` / `--devnodes` (host nodes by name, made inside) and the `ppp` feature.
 * @module
 */
export { devicesPlugin } from './plugin.js';
export { DEVICES, DEVNODES, type DevnodeGrant, type DevnodeAccess } from './config.js';
export { DEFAULT_DEVICES, allowList } from './plan.js';
export { DEVICES_EXITS, devicesError, type DevicesErrorCode } from './errors.js';
