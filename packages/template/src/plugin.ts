/**
 * The template plugin: at `vzctl create` it makes sure the VE's OS template is in the
 * template directory (building the embedded busybox one on first use), before any other
 * plugin makes the private area. It owns no config key: OSTEMPLATE is the core's.
 */
import { definePlugin, OSTEMPLATE, vzError } from '@vzkit/core';
import { ensureTemplate } from './ensure.js';

export const TEMPLATE_PLUGIN = '@vzkit/template';

export const templatePlugin = definePlugin({
  name: TEMPLATE_PLUGIN,
  hooks: {
    async create(ctx, opts) {
      const name = opts.ostemplate ?? ctx.ve.config.get(OSTEMPLATE);
      if (name === undefined) {
        throw vzError('OSTEMPLATE_NOT_SET', `${ctx.ve.label}: no OS template given (--ostemplate) and no DEF_OSTEMPLATE in vz.conf`);
      }
      await ensureTemplate(ctx.host, ctx.ve.paths.template, name, { label: ctx.ve.label });
    },
  },
});
