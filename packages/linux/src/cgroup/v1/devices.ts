/**
 * devices controller: deny everything, then allow the listed devices. The two writes
 * leave a moment with nothing allowed; processes keep what they have open.
 */
import { join } from 'node:path';
import { vzError, type CgroupResources, type DeviceRule } from '@vzkit/core';
import { writeCgroupFileNow } from '../cgroupfs.js';

export function deviceRuleText(r: DeviceRule): string {
  if (!/^[rwm]+$/.test(r.access)) throw vzError('BAD_VALUE', `device rule ${r.type} ${r.major}:${r.minor} ${r.access}: access is a mix of r, w and m`);
  return `${r.type} ${r.major}:${r.minor} ${r.access}`;
}

export async function setDevices(dir: string, res: NonNullable<CgroupResources['devices']>): Promise<void> {
  const rules = res.allow.map(deviceRuleText);
  await writeCgroupFileNow(join(dir, 'devices.deny'), 'a');
  for (const rule of rules) await writeCgroupFileNow(join(dir, 'devices.allow'), rule);
}
