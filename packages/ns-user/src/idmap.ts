/**
 * A VE's user-namespace mapping, from LOCAL_UID and LOCAL_GID (config.ts): the service
 * ID_MAPPING that ns-user provides, through which the core (VeContext.idmap) and every
 * plugin that makes files for the VE or puts it in namespaces learn it. A VE whose own
 * config never got numbers (made before `auto` was the default) is the host root's,
 * which is what its files say.
 */
import type { ConfigView, IdMappingService, VeIdMap } from '@vzkit/core';
import { IDMAP_SIZE, LOCAL_GID, LOCAL_UID, type IdBase } from './config.js';

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

export const idMapping: IdMappingService = { of: idMapOf };
