/**
 * Stand-ins for plugins that other plugins' tests compose with but should not depend
 * on: each keeps only the part of the real plugin those tests rely on.
 */
import { join } from 'node:path';
import { defineKey, definePlugin, ID_MAPPING, integer, TEMPLATE_TREES, type ConfigView, type VeIdMap } from '@vzkit/core';

const IDS = 65536;
const LOCAL_UID = defineKey({
  name: 'LOCAL_UID', flag: 'local_uid', live: false, type: integer({ min: 0 }),
  description: 'host uid (and gid) of the VE\'s root; 0 or unset: the host root (test stand-in for ns-user)',
});

function idMap(base: number): VeIdMap {
  const map = [{ inside: 0, outside: base, count: IDS }];
  return { uid: base, gid: base, uidMap: map, gidMap: map };
}

/**
 * ns-user as far as other plugins care: `LOCAL_UID=N` (a number, no `auto`, no
 * LOCAL_GID, no checks of the host's accounts) is the mapping of ID_MAPPING, and the
 * VE gets a user namespace with it.
 */
export const userNamespaceStandIn = definePlugin({
  name: 'test-userns',
  configKeys: [LOCAL_UID],
  provides: [{ token: ID_MAPPING, create: () => ({ of: (config: ConfigView) => { const uid = config.get(LOCAL_UID); return uid ? idMap(uid) : undefined; } }) }],
  before: ['@vzkit/ns-fs'],
  hooks: {
    async prepare(ctx, plan) {
      if (!ctx.ve.idmap) return;
      plan.namespaces.add('user');
      plan.uidMap = ctx.ve.idmap.uidMap;
      plan.gidMap = ctx.ve.idmap.gidMap;
    },
  },
});

/**
 * The template plugin as far as ns-fs cares: its name and TEMPLATE_TREES, where a
 * template's tree is `<dir>/<name>` as the test seeded it (no stamp, no cache).
 */
export const templateStandIn = definePlugin({
  name: '@vzkit/template',
  provides: [{ token: TEMPLATE_TREES, create: () => ({ tree: async (dir: string, name: string) => join(dir, name) }) }],
  hooks: {},
});
