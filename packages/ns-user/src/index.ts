/**
 * @vzkit/ns-user — unprivileged VEs: a user namespace per VE whose root is an
 * unprivileged host uid (LOCAL_UID, LOCAL_GID, `vzctl create --local_uid`).
 * @packageDocumentation
 */
export { nsUserPlugin, NS_USER_PLUGIN, MAX_USER_NAMESPACES } from './plugin.js';
export { parseAccounts, accountInRange, type HostAccount } from './host-users.js';
