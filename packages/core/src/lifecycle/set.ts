/**
 * `vzctl set`: parse and validate the changes against the whole new config, apply the
 * live ones to a running VE through the owning plugins' `update`, and with --save
 * write them into the config file in place. Bad input changes nothing.
 */
import { writeFileAtomic } from '../atomic-file.js';
import { parseKeyValue } from '../config.js';
import { vzError } from '../errors.js';
import { faultPoint } from '../fault.js';
import { appliesLive, type ConfigChange, type ConfigKey } from '../plugin.js';
import { ValueError } from '../values.js';
import type { Ve } from './core.js';
import { convertVe } from './convert.js';
import { LOCAL_GID, LOCAL_UID } from '../core-keys.js';
import { runHook, validateAll } from './hooks.js';

/** One change: a key's new raw value (undefined removes it), or an edit flag with its argument. */
export type SetEdit = { key: string; value: string | undefined } | { flag: string; arg: string };

export interface SetOptions {
  save?: boolean;
}

export interface SetResult {
  /** Keys applied to the running VE. */
  applied: string[];
  /** Keys that take effect at the next start. */
  deferred: string[];
  saved: boolean;
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Turns edits into raw overrides, applying edit flags (`--ipadd`) to the current value in order. */
export function resolveEdits(ve: Ve, edits: SetEdit[]): Map<string, string | undefined> {
  const { registry } = ve.core;
  const overrides = new Map<string, string | undefined>();
  let view = ve.config;
  for (const e of edits) {
    if ('key' in e) {
      const key = registry.keys.get(e.key);
      if (!key) throw vzError('BAD_PARAM', `${ve.label}: unknown parameter ${e.key}`);
      if (e.value !== undefined) parseKeyValue(key, e.value, ve.label);
      overrides.set(key.name, e.value);
    } else {
      const key = registry.flags.get(e.flag);
      if (!key) throw vzError('BAD_PARAM', `${ve.label}: unknown option --${e.flag}`);
      if (key.flag === e.flag) {
        parseKeyValue(key, e.arg, ve.label);
        overrides.set(key.name, e.arg);
      } else {
        const edit = key.editFlags!.find((x) => x.flag === e.flag)!;
        let next: unknown;
        try {
          next = edit.apply(view.get(key), e.arg);
        } catch (err) {
          if (err instanceof ValueError) throw vzError(err.code ?? 'BAD_VALUE', `${ve.label}: invalid value for --${e.flag}: ${err.message}`);
          throw err;
        }
        overrides.set(key.name, (key as ConfigKey<unknown>).type.format(next));
      }
    }
    view = ve.config.withOverrides(overrides);
  }
  return overrides;
}

export async function setVe(ve: Ve, edits: SetEdit[], opts: SetOptions = {}): Promise<SetResult> {
  const { registry } = ve.core;
  const overrides = resolveEdits(ve, edits);
  // LOCAL_GID follows LOCAL_UID unless given: the VE's range moves as one (a VE of the host root has none).
  if (overrides.has(LOCAL_UID.name) && !overrides.has(LOCAL_GID.name)) {
    const uid = overrides.get(LOCAL_UID.name);
    overrides.set(LOCAL_GID.name, uid?.trim() === '0' ? undefined : uid);
  }
  for (const name of overrides.keys()) {
    const key = registry.keys.get(name)!;
    if (key.saveOnly && !opts.save) throw vzError('BAD_PARAM', `${ve.label}: ${key.flag ? `--${key.flag}` : name} needs --save`);
  }
  if ([...overrides.keys()].some((n) => registry.keys.get(n)!.offline)) {
    const changed = await convertVe(ve, overrides);
    if (changed.length) ve.core.events.emit('ve:updated', ve.ctid, changed);
    return { applied: [], deferred: changed, saved: true };
  }
  const before = ve.config;
  const after = before.withOverrides(overrides);
  ve.config = after;
  try {
    await validateAll(ve);
  } catch (e) {
    ve.config = before;
    throw e;
  }
  const changes: ConfigChange[] = [];
  for (const name of overrides.keys()) {
    const key = registry.keys.get(name)!;
    const b = before.get(key);
    const a = after.get(key);
    if (!sameValue(a, b)) changes.push({ key, before: b, after: a });
  }
  const running = ve.state?.phase === 'running';
  const transient = [...overrides.keys()].filter((n) => registry.keys.get(n)!.transient);
  if (transient.length && !running) {
    ve.config = before;
    const k = registry.keys.get(transient[0]!)!;
    const flag = k.flag ?? k.editFlags?.[0]?.flag;
    throw vzError('VE_NOT_RUNNING', `${ve.label} is not running: ${flag ? `--${flag}` : k.name} acts on a running VE`, { hint: `start it first: vzctl start ${ve.ctid}` });
  }
  if (!running && !opts.save) {
    ve.config = before;
    throw vzError('VE_NOT_RUNNING', `${ve.label} is not running: nothing was applied or saved`, { hint: 'add --save to change its configuration' });
  }
  const result: SetResult = { applied: [], deferred: [], saved: false };
  if (running) {
    const live = changes.filter(appliesLive);
    result.deferred = changes.filter((c) => !appliesLive(c)).map((c) => c.key.name);
    for (const p of registry.plugins) {
      const mine = live.filter((c) => registry.keyOwner.get(c.key.name) === p.name || p.watches?.includes(c.key.name));
      if (!mine.length) continue;
      if (p.hooks.update) await runHook(ve, p, 'update', mine);
      faultPoint('set', `update:${p.name}`);
    }
    result.applied = live.map((c) => c.key.name);
  } else {
    result.deferred = changes.map((c) => c.key.name);
  }
  if (running && ve.state) {
    // Saved values are the config's now; unsaved ones stay in force until the VE stops.
    const live = { ...(ve.state.live ?? {}) };
    for (const [k, v] of overrides) {
      if (transient.includes(k)) continue;
      if (opts.save) delete live[k];
      else live[k] = v ?? null;
    }
    if (Object.keys(live).length) ve.state.live = live;
    else delete ve.state.live;
    await ve.saveState();
  }
  if (opts.save) {
    const file = after.veFile;
    for (const [k, v] of overrides) if (!transient.includes(k)) file.set(k, v);
    await writeFileAtomic(ve.paths.conf, file.toString());
    result.saved = true;
  }
  if (changes.length) ve.core.events.emit('ve:updated', ve.ctid, changes.map((c) => c.key.name));
  return result;
}
