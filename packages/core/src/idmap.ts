/**
 * A VE's user-namespace mapping. LOCAL_UID and LOCAL_GID (vzctl's names) are the host
 * uid and gid that stand for root inside the VE; the {@link IDMAP_SIZE} ids from there
 * on are the VE's. 0: the VE's root is the host's root, without a user namespace.
 * `auto` is a request that create (or a conversion) turns into numbers before anything
 * is made; a VE whose own config never got numbers (made before `auto` was the default)
 * is the host root's, which is what its files say. Every plugin that makes files for
 * the VE or puts it in namespaces reads the mapping from {@link VeContext.idmap}; the
 * ns-user plugin turns it into the VE's user namespace.
 */
import type { ConfigView } from './plugin.js';
import type { IdMapping } from './plan.js';
import { IDMAP_SIZE, LOCAL_GID, LOCAL_UID, type IdBase } from './core-keys.js';

export interface VeIdMap {
  /** Host uid of the VE's root. */
  uid: number;
  /** Host gid of the VE's root group. */
  gid: number;
  uidMap: IdMapping[];
  gidMap: IdMapping[];
}

/** The mapping of two LOCAL_UID/LOCAL_GID values; LOCAL_GID follows LOCAL_UID unless it is a number of its own. */
export function idMapFrom(uid: IdBase | undefined, gid: IdBase | undefined): VeIdMap | undefined {
  if (typeof uid !== 'number' || uid === 0) return undefined;
  const g = typeof gid === 'number' && gid !== 0 ? gid : uid;
  return {
    uid,
    gid: g,
    uidMap: [{ inside: 0, outside: uid, count: IDMAP_SIZE }],
    gidMap: [{ inside: 0, outside: g, count: IDMAP_SIZE }],
  };
}

/** The mapping a config gives; undefined for a VE of the host root (and for an unresolved `auto`). */
export function idMapOf(config: ConfigView): VeIdMap | undefined {
  return idMapFrom(config.get(LOCAL_UID), config.get(LOCAL_GID));
}
