/**
 * A plugin the CLI has never heard of: its keys must become flags and help lines, its
 * column a vzlist field, its commands vzctl verbs and a tool of their own. Its live key
 * leaves a file in the VE's root, so a test can see the change from inside.
 */
import { join } from 'node:path';
import { definePlugin, defineKey, integer, list, oneOf, text, ValueError } from '@vzkit/core';

export const DEMO_LEVEL = defineKey({
  name: 'DEMO_LEVEL', flag: 'demo-level', type: integer({ min: 0, max: 10 }), live: true,
  description: 'Demo level, written to /etc/demo-level inside',
});
export const DEMO_MODE = defineKey({
  name: 'DEMO_MODE', flag: 'demo-mode', type: oneOf(['calm', 'busy']), live: false, scope: ['set'],
  description: 'Demo mode, read at start',
});
const tag = text({ pattern: /^[a-z]+$/, what: 'tag (lower-case letters)', arg: 'TAG' });
export const DEMO_TAGS = defineKey({
  name: 'DEMO_TAGS', type: list(tag), live: true,
  description: 'Demo tags',
  editFlags: [
    { flag: 'demo-tag-add', arg: 'TAG', description: 'add a demo tag', apply: (cur, arg) => [...(cur ?? []), tag.parse(arg)] },
    {
      flag: 'demo-tag-del', arg: 'TAG|all', description: 'remove a demo tag',
      apply: (cur, arg) => {
        if (arg === 'all') return [];
        if (!(cur ?? []).includes(arg)) throw new ValueError(`no tag '${arg}'`);
        return (cur ?? []).filter((t) => t !== arg);
      },
    },
  ],
});

export const demoPlugin = definePlugin({
  name: '@test/demo',
  configKeys: [DEMO_LEVEL, DEMO_MODE, DEMO_TAGS],
  hooks: {
    async started(ctx) {
      const level = ctx.ve.config.get(DEMO_LEVEL);
      if (level !== undefined) await ctx.host.fs.writeFile(join(ctx.ve.paths.root, 'etc/demo-level'), `${level}\n`);
    },
    async update(ctx, changes) {
      for (const c of changes) {
        if (c.key.name === DEMO_LEVEL.name) await ctx.host.fs.writeFile(join(ctx.ve.paths.root, 'etc/demo-level'), `${String(c.after)}\n`);
      }
    },
  },
  listFields: [
    { name: 'demolevel', header: 'DEMOLVL', width: 8, get: (r) => r.config.get(DEMO_LEVEL) },
    { name: 'demotags', header: 'DEMOTAGS', width: -12, get: (r) => r.config.get(DEMO_TAGS) },
  ],
  commands: [
    {
      tool: 'vzctl', name: 'demo-hello', summary: 'Greet a container', usage: 'CTID',
      async run(api, argv) {
        const ctid = await api.runtime.resolveId(argv[0] ?? '');
        const st = await api.runtime.status(ctid);
        api.out(`hello CT ${ctid}, you are ${st.running ? 'running' : 'down'}`);
        return 0;
      },
    },
    {
      tool: 'vzdemo', name: 'vzdemo', summary: 'The demo tool', usage: '[ARG...]',
      async run(api, argv) {
        api.out(`vzdemo sees ${(await api.runtime.ctids()).length} container(s), args: ${argv.join(' ')}`);
        if (argv.includes('--fail')) {
          api.err('vzdemo: asked to fail');
          return 7;
        }
        return 0;
      },
    },
  ],
});
