/**
 * @vzkit/distro — the guest's own set-up that OpenVZ's distribution scripts did:
 * /etc/hosts from HOSTNAME and IP_ADDRESS, `--userpasswd`.
 * @packageDocumentation
 */
export { distroPlugin } from './plugin.js';
export { USERPASSWD } from './config.js';
export { editHosts, hostnameLine, HOSTS_MARKER } from './plan.js';
export { parseUserPassword, type UserPassword } from './userpasswd.js';
export { DISTRO_EXITS, distroError, type DistroErrorCode } from './errors.js';
