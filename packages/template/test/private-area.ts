/** Stands, in template tests, for the plugins that make the private area after the template is there. */
import { definePlugin } from '@vzkit/core';

export const privateArea = definePlugin({
  name: 'test-private-area',
  requires: ['@vzkit/template'],
  hooks: {
    async create(ctx) {
      await ctx.host.fs.mkdir(ctx.ve.paths.private, { recursive: true });
    },
    async destroy(ctx) {
      if (await ctx.host.fs.exists(ctx.ve.paths.private)) await ctx.host.fs.remove(ctx.ve.paths.private, { recursive: true });
    },
  },
});
