/** vzlist columns of the VE's kind: unprivileged (a user namespace of its own) or privileged (its root is the host's root). */
import { idMapOf, type ListField } from '@vzkit/core';

export const KIND_FIELDS: readonly ListField[] = [
  { name: 'kind', header: 'KIND', width: -12, get: (r) => (idMapOf(r.config) ? 'unprivileged' : 'privileged') },
  { name: 'unprivileged', header: 'UNPRIV', width: 6, get: (r) => !!idMapOf(r.config), text: (r) => (idMapOf(r.config) ? 'yes' : 'no') },
];
