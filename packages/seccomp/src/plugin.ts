/**
 * seccomp: a filter on the VE's init, inherited by everything it starts, and loaded
 * again into every `vzctl exec`/`enter` (a filter cannot be read back from init, so
 * the core keeps the plan's join ops). The listed calls fail with EPERM; nested user
 * namespaces are refused unless NESTING allows them. no_new_privs stays off, so setuid
 * programs inside keep working.
 */
import { definePlugin } from '@vzkit/core';
import { NESTING, SECCOMP } from './config.js';
import { seccompOp } from './plan.js';

export const seccompPlugin = definePlugin({
  name: '@vzkit/seccomp',
  // The filter last: nothing after it may need a call it refuses.
  after: ['@vzkit/caps', '@vzkit/landlock'],
  configKeys: [SECCOMP, NESTING],
  hooks: {
    async prepare(ctx, plan) {
      const op = seccompOp(ctx.ve.config.get(SECCOMP), ctx.ve.config.get(NESTING));
      // Last of the final stage by plugin order: the filter must not refuse the launcher's own calls.
      if (op) plan.forEveryProcess(op);
    },
  },
});
