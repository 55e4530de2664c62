/** vzlist columns of the VE's kind: unprivileged (a user namespace of its own) or privileged (its root is the host's root). */
import type { ListField } from '@vzkit/core';
import { LOCAL_GID, LOCAL_UID } from './config.js';
import { idMapOf } from './idmap.js';

const raw = (v: unknown) => (v === undefined ? undefined : String(v));

export const KIND_FIELDS: readonly ListField[] = [
  { name: 'local_uid', header: 'LOCAL_UID', width: 10, get: (r) => raw(r.config.get(LOCAL_UID)) },
  { name: 'local_gid', header: 'LOCAL_GID', width: 10, get: (r) => raw(r.config.get(LOCAL_GID)) },
  { name: 'kind', header: 'KIND', width: -12, get: (r) => (idMapOf(r.config) ? 'unprivileged' : 'privileged') },
  { name: 'unprivileged', header: 'UNPRIV', width: 6, get: (r) => !!idMapOf(r.config), text: (r) => (idMapOf(r.config) ? 'yes' : 'no') },
];
