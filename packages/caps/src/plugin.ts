/**
 * caps: the VE's root has every capability except those that reach past the VE (see
 * DEFAULT_OFF, and HOST_ROOT_OFF for a VE of the host root), adjusted by CAPABILITY.
 * They leave init's bounding set before it runs; `vzctl exec`/`enter` give a command the
 * same set (the launcher copies init's).
 */
import { definePlugin, type ListField } from '@vzkit/core';
import { CAPABILITY } from './config.js';
import { droppedCaps } from './plan.js';

export const CAPS_PLUGIN = '@vzkit/caps';

const field: ListField = {
  name: 'capability',
  header: 'CAPABILITY',
  width: -15,
  get: (row) => {
    const v = row.config.get(CAPABILITY);
    return v && v.size ? CAPABILITY.type.format(v) : undefined;
  },
};

export const capsPlugin = definePlugin({
  name: CAPS_PLUGIN,
  configKeys: [CAPABILITY],
  listFields: [field],
  hooks: {
    async prepare(ctx, plan) {
      const caps = droppedCaps(ctx.ve.config.get(CAPABILITY), { hostRoot: ctx.ve.idmap === undefined });
      if (caps.length) plan.add('final', { op: 'capDrop', caps });
    },
  },
});
