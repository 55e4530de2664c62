/** The config keys seccomp owns. */
import { defineKey, ValueError, yesNo, type ValueType } from '@vzkit/core';

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
