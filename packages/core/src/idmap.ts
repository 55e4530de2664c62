/**
 * A VE's user-namespace mapping. LOCAL_UID and LOCAL_GID (vzctl's names) are the host
 * uid and gid that stand for root inside the VE; the {@link IDMAP_SIZE} ids from there
 * on are the VE's. Unset or 0: the VE's root is the host's root, without a user
 * namespace. Every plugin that makes files for the VE or puts it in namespaces reads
 * the mapping from {@link VeContext.idmap}; the ns-user plugin turns it into the VE's
 * user namespace.
 */
import type { ConfigView } from './plugin.js';
import type { IdMapping } from './plan.js';
import { IDMAP_SIZE, LOCAL_GID, LOCAL_UID } from './core-keys.js';

export interface VeIdMap {
  /** Host uid of the VE's root. */
  uid: number;
  /** Host gid of the VE's root group. */
  gid: number;
  uidMap: IdMapping[];
  gidMap: IdMapping[];
}

/** The mapping a config asks for; LOCAL_GID defaults to LOCAL_UID. */
export function idMapOf(config: ConfigView): VeIdMap | undefined {
  const uid = config.get(LOCAL_UID);
  if (!uid) return undefined;
  const gid = config.get(LOCAL_GID) || uid;
  return {
    uid,
    gid,
    uidMap: [{ inside: 0, outside: uid, count: IDMAP_SIZE }],
    gidMap: [{ inside: 0, outside: gid, count: IDMAP_SIZE }],
  };
}
