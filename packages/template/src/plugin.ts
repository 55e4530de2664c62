/**
 * The template plugin: at `vzctl create` it makes sure the VE's OS template is in the
 * template directory — unpacked from the machine's template cache, or built on first use
 * (busybox, debian-12-<machine>) — before any other plugin makes the private area, and
 * marks the VE as a user of the template until its config names it, so that `vztmpl
 * remove` never takes a template from under a create. It owns no config key
 * (OSTEMPLATE is the core's) and adds the `vztmpl` tool.
 */
import { definePlugin, OSTEMPLATE, vzError, type Plugin } from '@vzkit/core';
import { templateCacheDir } from './cache.js';
import { ensureTemplate } from './ensure.js';
import { markCreating, unmarkCreating } from './locks.js';
import type { TemplateSettings } from './settings.js';
import { TEMPLATE_TREES_PROVIDER } from './trees.js';
import { vztmplCommands } from './vztmpl.js';

export const TEMPLATE_PLUGIN = '@vzkit/template';

/** The template plugin with the composition's settings (the cache, the mirror). */
export function createTemplatePlugin(settings: TemplateSettings = {}): Plugin {
  return definePlugin({
    name: TEMPLATE_PLUGIN,
    // ns-fs builds each VE's root on a tree of it.
    provides: [TEMPLATE_TREES_PROVIDER],
    hooks: {
      async create(ctx, opts) {
        const name = opts.ostemplate ?? ctx.ve.config.get(OSTEMPLATE);
        if (name === undefined) {
          throw vzError('OSTEMPLATE_NOT_SET', `${ctx.ve.label}: no OS template given (--ostemplate) and no DEF_OSTEMPLATE in vz.conf`);
        }
        const dir = ctx.ve.paths.template;
        await ensureTemplate(ctx.host, dir, name, {
          label: ctx.ve.label,
          op: `create ${ctx.ve.label}`,
          cacheDir: templateCacheDir(ctx.ve.paths.prefix, settings.cacheDir),
          ...(settings.mirror ? { mirror: settings.mirror } : {}),
          progress: (msg) => ctx.log.info(`OS template ${name}: ${msg}`),
          whileLocked: () => markCreating(ctx.host, dir, name, ctx.ve.ctid),
        });
      },
      // From here the VE's config names its template.
      created: (ctx) => unmarkCreating(ctx.host, ctx.ve.paths.template, ctx.ve.ctid),
      // An undone create (and every destroy: a killed create's marker is gone by then).
      destroy: (ctx) => unmarkCreating(ctx.host, ctx.ve.paths.template, ctx.ve.ctid),
    },
    commands: vztmplCommands(settings),
  });
}

/** The template plugin with the default settings. */
export const templatePlugin = createTemplatePlugin();
