/**
 * @vzkit/devices: the devices a VE may open. Register {@link devicesPlugin} for a
 * device allowlist on the VE's cgroup, OpenVZ's `DEVICES` / `--devices` (by number),
 * `DEVNODES` / `--devnodes` (host nodes by name, made inside) and the `ppp` feature.
 * @module
 */
export { devicesPlugin, DEVICES, DEFAULT_DEVICES, allowList } from './plugin.js';
export { DEVNODES, type DevnodeGrant, type DevnodeAccess } from './devnodes.js';
