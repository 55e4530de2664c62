/**
 * @vzkit/ns-user — unprivileged VEs: a user namespace per VE whose root is an
 * unprivileged host uid (LOCAL_UID, LOCAL_GID; `auto` by default: a free range each).
 * @packageDocumentation
 */
export { nsUserPlugin, NS_USER_PLUGIN, MAX_USER_NAMESPACES } from './plugin.js';
export { parseAccounts, accountInRange, type HostAccount } from './host-users.js';
export { firstFree, overlaps, FIRST_AUTO_BASE, type IdRange } from './ranges.js';
export { parseSubIds, type SubIdRange } from './subids.js';
export { KIND_FIELDS } from './fields.js';
export { LOCAL_UID, LOCAL_GID, IDMAP_SIZE, MAX_ID_BASE, NS_USER_KEYS, type IdBase } from './config.js';
export { idMapFrom, idMapOf, idMapping } from './idmap.js';
