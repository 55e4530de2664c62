/** The config key landlock owns. */
import { defineKey, ValueError, type ValueType } from '@vzkit/core';

export type LandlockSetting = 'auto' | 'yes' | 'no';

const setting: ValueType<LandlockSetting> = {
  arg: 'auto|yes|no',
  parse(raw) {
    const v = raw.trim().toLowerCase();
    if (v !== 'auto' && v !== 'yes' && v !== 'no') throw new ValueError(`'${raw}' is not auto, yes or no`);
    return v;
  },
  format: (v) => v,
};

/** At the next start, as the VE's other restrictions (CAPABILITY, SECCOMP). */
export const LANDLOCK = defineKey<LandlockSetting>({
  name: 'LANDLOCK',
  flag: 'landlock',
  type: setting,
  default: 'auto',
  live: false,
  description: 'Keep the VE root from mounting (a Landlock domain): auto (VEs of the host root), yes (every VE) or no',
});
