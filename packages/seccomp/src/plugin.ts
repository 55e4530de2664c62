/**
 * seccomp: a filter on the VE's init, inherited by everything it starts, and loaded
 * again into every `vzctl exec`/`enter` (a filter cannot be read back from init, so
 * the core keeps the plan's join ops). The listed calls fail with EPERM; nested user
 * namespaces are refused unless NESTING allows them. no_new_privs stays off, so setuid
 * programs inside keep working.
 */
import { defineKey, definePlugin, ValueError, yesNo, type ValueType } from '@vzkit/core';
import { DEFAULT_DENY, NESTING_RULES } from './profile.js';

export type SeccompSetting = 'default' | 'off';

const setting: ValueType<SeccompSetting> = {
  arg: 'default|off',
  parse(raw) {
    const v = raw.trim();
    if (v !== 'default' && v !== 'off') throw new ValueError(`'${raw}' is not default or off`);
    return v;
  },
  format: (v) => v,
};

/** The VE's seccomp profile; at the next start, as OpenVZ's restart-only security settings. */
export const SECCOMP = defineKey<SeccompSetting>({
  name: 'SECCOMP',
  flag: 'seccomp',
  type: setting,
  default: 'default',
  live: false,
  description: 'System call filter of the VE: default (deny what a VE must never do) or off',
});

/**
 * Whether the VE may make user namespaces of its own (containers inside it: LXC's and
 * Incus's `security.nesting`); at the next start, since a loaded filter cannot be changed.
 */
export const NESTING = defineKey<boolean>({
  name: 'NESTING',
  flag: 'nesting',
  type: yesNo,
  default: false,
  live: false,
  description: 'Allow user namespaces inside the VE (containers in the container)',
});

export const seccompPlugin = definePlugin({
  name: '@vzkit/seccomp',
  // The filter last: nothing after it may need a call it refuses.
  after: ['@vzkit/caps', '@vzkit/landlock'],
  configKeys: [SECCOMP, NESTING],
  hooks: {
    async prepare(ctx, plan) {
      if (ctx.ve.config.get(SECCOMP) === 'off') return;
      const rules = ctx.ve.config.get(NESTING) ? [] : NESTING_RULES.map(({ why: _, ...rule }) => rule);
      // Last of the final stage by plugin order: the filter must not refuse the launcher's own calls.
      plan.forEveryProcess({ op: 'seccomp', deny: DEFAULT_DENY.map((d) => d.name), ...(rules.length ? { rules } : {}) });
    },
  },
});
