/**
 * The keys of ns-user, vzctl's names: LOCAL_UID and LOCAL_GID are the host uid and gid
 * that stand for root inside the VE; the IDMAP_SIZE ids from there on are the VE's. 0:
 * the VE's root is the host's root, without a user namespace. `auto` is a request that
 * create (or a conversion) turns into numbers before anything is made.
 */
import { defineKey, integer, type ValueType } from '@vzkit/core';

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
  // `--applyconfig` keeps it (the VE's files are in this range); setting it alone moves LOCAL_GID along.
  identity: true, resets: ['LOCAL_GID'],
  description: 'Host uid of the VE\'s root: its ids 0-65535 are host ids N.. in a user namespace of its own; auto = a free range; 0 = none (the VE\'s root is the host\'s root)',
});
export const LOCAL_GID = defineKey({
  name: 'LOCAL_GID', flag: 'local_gid', live: false, offline: true, saveOnly: true, type: ID_BASE, default: 'auto', identity: true,
  description: 'Host gid of the VE\'s root group (default: as LOCAL_UID)',
});

export const NS_USER_KEYS = [LOCAL_UID, LOCAL_GID] as const;
