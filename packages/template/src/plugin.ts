/**
 * The template plugin: at `vzctl create` it makes sure the VE's OS template is in the
 * template directory — unpacked from the machine's template cache, or built on first use
 * (busybox, debian-12-<machine>) — before any other plugin makes the private area. It
 * owns no config key (OSTEMPLATE is the core's) and adds the `vztmpl` tool.
 */
import { definePlugin, OSTEMPLATE, vzError } from '@vzkit/core';
import { templateCacheDir } from './cache.js';
import { ensureTemplate } from './ensure.js';
import { vztmplCommands } from './vztmpl.js';

export const TEMPLATE_PLUGIN = '@vzkit/template';

export const templatePlugin = definePlugin({
  name: TEMPLATE_PLUGIN,
  hooks: {
    async create(ctx, opts) {
      const name = opts.ostemplate ?? ctx.ve.config.get(OSTEMPLATE);
      if (name === undefined) {
        throw vzError('OSTEMPLATE_NOT_SET', `${ctx.ve.label}: no OS template given (--ostemplate) and no DEF_OSTEMPLATE in vz.conf`);
      }
      await ensureTemplate(ctx.host, ctx.ve.paths.template, name, {
        label: ctx.ve.label,
        cacheDir: templateCacheDir(ctx.ve.paths.prefix),
        progress: (msg) => ctx.log.info(`OS template ${name}: ${msg}`),
      });
    },
  },
  commands: vztmplCommands,
});
