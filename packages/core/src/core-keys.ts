/**
 * Keys the core itself owns: identity, paths and start policy of a VE. Every
 * subsystem's keys belong to its plugin.
 */
import { defineKey, type ConfigKey } from './plugin.js';
import { integer, text, yesNo, type ValueType } from './values.js';
import { FEATURES } from './features.js';

const PATH_VALUE = text({ pattern: /^\/[^\0\n"]*$/, what: 'absolute path', arg: 'PATH' });

export const NAME = defineKey({
  name: 'NAME', flag: 'name', live: true, saveOnly: true,
  type: text({ pattern: /^[A-Za-z0-9._-]*[A-Za-z_.-][A-Za-z0-9._-]*$/, what: 'name (letters, digits, . _ -; not only digits)', maxLength: 64 }),
  description: 'Symbolic name usable instead of the CTID',
});
export const DESCRIPTION = defineKey({
  name: 'DESCRIPTION', flag: 'description', live: true, type: text({ maxLength: 1024 }), description: 'Free text',
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
  name: 'OSTEMPLATE', flag: 'ostemplate', live: false, saveOnly: true,
  type: text({ pattern: /^[A-Za-z0-9][A-Za-z0-9._+-]*$/, what: 'template name', arg: 'NAME' }),
  description: 'OS template the VE is made from',
});
export const ORIGIN_SAMPLE = defineKey({
  // A record of where the values came from, nothing the running VE has to take in.
  name: 'ORIGIN_SAMPLE', live: true, type: text(), description: 'Sample config applied at create or by set --applyconfig',
});
export const VE_ROOT = defineKey({
  name: 'VE_ROOT', flag: 'root', live: false, scope: ['create'], type: PATH_VALUE,
  description: 'Mount point of the VE root on the host ($VEID = CTID)',
});
export const VE_PRIVATE = defineKey({
  name: 'VE_PRIVATE', flag: 'private', live: false, scope: ['create'], type: PATH_VALUE,
  description: 'Private area of the VE on the host ($VEID = CTID)',
});
/** Ids per VE: 0..65535 inside, as LXC and Docker's userns-remap give. */
export const IDMAP_SIZE = 65536;
/** Highest LOCAL_UID/LOCAL_GID: the VE's ids must fit below 2^32 - 1 (the invalid id). */
export const MAX_ID_BASE = 2 ** 32 - 1 - IDMAP_SIZE;
/** A LOCAL_UID/LOCAL_GID value: a host id, or `auto` (a free range, chosen when the VE is made or converted). */
export type IdBase = number | 'auto';
const NUMERIC_BASE = integer({ min: 0, max: MAX_ID_BASE });
const ID_BASE: ValueType<IdBase> = {
  arg: 'N|auto',
  parse: (raw) => (raw.trim() === 'auto' ? 'auto' : NUMERIC_BASE.parse(raw)),
  format: (v) => String(v),
};
/*
 * Chosen at create, and changed only on a stopped VE with --save (`offline`): the VE's
 * files belong to the range, so a change shifts their ownership first. `auto` is the
 * default: a VE made without a value gets a free range of its own.
 */
export const LOCAL_UID = defineKey({
  name: 'LOCAL_UID', flag: 'local_uid', live: false, offline: true, saveOnly: true, type: ID_BASE, default: 'auto',
  description: 'Host uid of the VE\'s root: its ids 0-65535 are host ids N.. in a user namespace of its own; auto = a free range; 0 = none (the VE\'s root is the host\'s root)',
});
export const LOCAL_GID = defineKey({
  name: 'LOCAL_GID', flag: 'local_gid', live: false, offline: true, saveOnly: true, type: ID_BASE, default: 'auto',
  description: 'Host gid of the VE\'s root group (default: as LOCAL_UID)',
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
  LOCAL_UID, LOCAL_GID, CONFIGFILE, DEF_OSTEMPLATE, CGROUP_PARENT, FEATURES,
];
