/**
 * CAPABILITY="sys_time:on net_admin:off": changes to the default set, as vzctl writes
 * them; `--capability name:on|off` edits one entry (repeatable). Applies at the next
 * start, as in OpenVZ.
 */
import { defineKey, ValueError, type ValueType } from '@vzkit/core';
import { capName } from './names.js';

export type CapSetting = Map<string, boolean>;

function parseEntry(raw: string): [string, boolean] {
  const m = /^([A-Za-z_]+):(on|off)$/i.exec(raw.trim());
  if (!m) throw new ValueError(`'${raw}' is not name:on or name:off`);
  const name = capName(m[1]!);
  if (!name) throw new ValueError(`'${m[1]}' is not a capability (see capabilities(7))`);
  return [name, m[2]!.toLowerCase() === 'on'];
}

const capabilityType: ValueType<CapSetting> = {
  arg: '"NAME:on|off ..."',
  parse: (raw) => new Map(raw.split(/[\s,]+/).filter(Boolean).map(parseEntry)),
  format: (v) => [...v].map(([n, on]) => `${n}:${on ? 'on' : 'off'}`).join(' '),
};

export const CAPABILITY = defineKey<CapSetting>({
  name: 'CAPABILITY',
  type: capabilityType,
  description: 'Capabilities of the VE root beyond the default set (name:on|off)',
  live: false,
  editFlags: [{
    flag: 'capability',
    arg: 'NAME:on|off',
    description: 'Turn one capability of the VE root on or off (repeatable; at the next start)',
    apply(current, arg) {
      const next = new Map(current ?? []);
      for (const [name, on] of capabilityType.parse(arg)) next.set(name, on);
      return next;
    },
  }],
});
