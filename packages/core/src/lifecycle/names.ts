/**
 * NAME is a second key of a VE (`vzctl exec web1`): two VEs with one name would make it
 * point at either. OpenVZ refuses the second (VZ_SET_NAME_ERROR, 131).
 */
import { NAME } from '../core-keys.js';
import { vzError } from '../errors.js';
import type { Ve } from './ve.js';
import { readConfigFile } from './ve.js';
import { configuredCtids } from './inspect.js';

/** Throws NAME_IN_USE when another VE's config has the NAME `ve`'s config now gives. */
export async function checkNameFree(ve: Ve): Promise<void> {
  const name = ve.config.get(NAME);
  if (!name) return;
  for (const ctid of await configuredCtids(ve.core)) {
    if (ctid === ve.ctid) continue;
    const file = await readConfigFile(`${ve.core.paths.confDir}/${ctid}.conf`, `CT ${ctid}`).catch(() => undefined);
    if (file?.get(NAME.name) === name) {
      throw vzError('NAME_IN_USE', `${ve.label}: name ${name} is already used by CT ${ctid}`, { about: ve.label, exit: 131, hint: 'choose another --name' });
    }
  }
}
