/**
 * Keys the core itself owns: identity, paths and start policy of a VE. Every
 * subsystem's keys belong to its plugin.
 */
import { defineKey, type ConfigKey } from './plugin.js';
import { integer, text, yesNo } from './values.js';
import { FEATURES } from './features.js';

const PATH_VALUE = text({ pattern: /^\/[^\0\n"]*$/, what: 'absolute path', arg: 'PATH' });

export const NAME = defineKey({
  name: 'NAME', identity: true, flag: 'name', live: true, saveOnly: true,
  type: text({ pattern: /^[A-Za-z0-9._-]*[A-Za-z_.-][A-Za-z0-9._-]*$/, what: 'name (letters, digits, . _ -; not only digits)', maxLength: 64 }),
  description: 'Symbolic name usable instead of the CTID',
});
export const DESCRIPTION = defineKey({
  name: 'DESCRIPTION', identity: true, flag: 'description', live: true, type: text({ maxLength: 1024 }), description: 'Free text',
});
export const ONBOOT = defineKey({
  name: 'ONBOOT', flag: 'onboot', live: true, type: yesNo, default: false, scope: ['set'], description: 'Start the VE when the host boots',
});
export const BOOTORDER = defineKey({
  name: 'BOOTORDER', flag: 'bootorder', live: true, type: integer({ min: 0 }), scope: ['set'], description: 'Higher starts first at host boot',
});
export const DISABLED = defineKey({
  name: 'DISABLED', flag: 'disabled', live: true, type: yesNo, default: false, scope: ['set'], description: 'Refuse to start unless --force',
});
export const OSTEMPLATE = defineKey({
  name: 'OSTEMPLATE', identity: true, flag: 'ostemplate', live: false, saveOnly: true,
  type: text({ pattern: /^[A-Za-z0-9][A-Za-z0-9._+-]*$/, what: 'template name', arg: 'NAME' }),
  description: 'OS template the VE is made from',
});
export const ORIGIN_SAMPLE = defineKey({
  // A record of where the values came from, nothing the running VE has to take in.
  name: 'ORIGIN_SAMPLE', live: true, type: text(), description: 'Sample config applied at create or by set --applyconfig',
});
export const VE_ROOT = defineKey({
  name: 'VE_ROOT', identity: true, flag: 'root', live: false, scope: ['create'], type: PATH_VALUE,
  description: 'Mount point of the VE root on the host ($VEID = CTID)',
});
export const VE_PRIVATE = defineKey({
  name: 'VE_PRIVATE', identity: true, flag: 'private', live: false, scope: ['create'], type: PATH_VALUE,
  description: 'Private area of the VE on the host ($VEID = CTID)',
});
/**
 * Global (vz.conf): sample applied by `create` without --config. `basic`, as OpenVZ's
 * vz.conf shipped it, so that a VE nobody gave limits to still has them (processes,
 * memory, /dev/shm, open files); only `--config unlimited` makes one without.
 */
export const CONFIGFILE = defineKey({
  name: 'CONFIGFILE', live: false, type: text(), default: 'basic',
  description: 'Default sample config for create',
});
/** Global (vz.conf): template used by `create` without --ostemplate. */
export const DEF_OSTEMPLATE = defineKey({ name: 'DEF_OSTEMPLATE', live: false, type: text(), description: 'Default OS template for create' });
/** Global (vz.conf): cgroup parent of every VE (`vzkit`; `@self/...` = below the caller's own cgroup). */
export const CGROUP_PARENT = defineKey({
  name: 'CGROUP_PARENT', live: false, type: text({ pattern: /^(@self)?[A-Za-z0-9._/-]*$/, what: 'cgroup path' }), default: 'vzkit',
  description: 'Cgroup below which each VE gets <parent>/<CTID>',
});

export const CORE_KEYS: readonly ConfigKey<any>[] = [
  NAME, DESCRIPTION, ONBOOT, BOOTORDER, DISABLED, OSTEMPLATE, ORIGIN_SAMPLE, VE_ROOT, VE_PRIVATE,
  CONFIGFILE, DEF_OSTEMPLATE, CGROUP_PARENT, FEATURES,
];
