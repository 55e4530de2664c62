/**
 * The command-line flags generated from the runtime's config key declarations: a key's
 * own flag (`--hostname NAME`) and its edit flags (`--ipadd IP`, repeatable). This is
 * why a new plugin brings its flags — and their help lines — with it.
 */
import type { ConfigKey, EditFlag, KeyScope, Runtime } from '@vzkit/core';
import type { FlagSpec } from './args.js';

export interface KeyFlag extends FlagSpec {
  arg: string;
  key: ConfigKey<any>;
  /** Set for edit flags: how the argument combines with the current value. */
  edit?: EditFlag<any>;
  /** Plugin (or `core`) that owns the key. */
  owner: string;
}

/** Flags of every key accepted by the command (`create` or `set`), in declaration order. */
export function keyFlags(rt: Runtime, scope: KeyScope): KeyFlag[] {
  const flags: KeyFlag[] = [];
  for (const key of rt.configKeys) {
    if (key.scope && !key.scope.includes(scope)) continue;
    const owner = rt.keyOwner(key.name) ?? 'core';
    if (key.flag) flags.push({ name: key.flag, arg: key.type.arg, description: key.description, key, owner });
    for (const edit of key.editFlags ?? []) {
      flags.push({ name: edit.flag, arg: edit.arg, description: edit.description, key, edit, owner, repeatable: true });
    }
  }
  return flags;
}

/** What `--help` says about when a change takes effect. */
export function whenApplied(f: KeyFlag): string {
  // Chosen once (VE_ROOT): there is no running VE for it to apply to.
  if (f.key.scope?.length === 1 && f.key.scope[0] === 'create') return 'create only';
  // Changes the VE's files (LOCAL_UID): only on a stopped, unmounted VE.
  if (f.key.offline) return 'at create; set: stopped VE only, needs --save';
  const live = f.key.live;
  const parts = [typeof live === 'function' ? 'live (some changes next start)' : live ? 'live' : 'next start'];
  if (f.key.saveOnly) parts.push('needs --save');
  return parts.join(', ');
}

/** `HOSTNAME (--hostname)`: how messages name a key. */
export function keyLabel(key: ConfigKey<any>): string {
  return key.flag ? `${key.name} (--${key.flag})` : key.name;
}
