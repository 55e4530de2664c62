/**
 * The template plugin: at `vzctl create` it makes sure the VE's OS template is in the
 * template directory (building the embedded busybox one on first use), before any other
 * plugin makes the private area. It owns no config key: OSTEMPLATE is the core's.
 */
import { definePlugin, OSTEMPLATE } from '@vzkit/core';
import { ensureTemplate } from './ensure.js';

export const TEMPLATE_PLUGIN = '@vzkit/template';

export const templatePlugin = definePlugin({
  name: TEMPLATE_PLUGIN,
  hooks: {
    async create(ctx, opts) {
      const name = opts.ostemplate ?? ctx.ve.config.get(OSTEMPLATE);
      // The core refuses a create without a template before any hook runs.
      if (name === undefined) return;
      await ensureTemplate(ctx.host, ctx.ve.paths.template, name, { label: ctx.ve.label });
    },
  },
});
