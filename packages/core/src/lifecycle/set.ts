/**
 * `vzctl set`: parse and validate the changes against the whole new config, apply the
 * live ones to a running VE through the owning plugins' `update`, and with --save
 * write them into the config file in place. A sample can be laid over the VE first
 * (`--applyconfig`), and keys can be applied again from the config (`--reset_ub`).
 * Bad input changes nothing.
 */
import { writeFileAtomic } from '../atomic-file.js';
import { parseKeyValue } from '../config.js';
import { NAME, ORIGIN_SAMPLE } from '../core-keys.js';
import { vzError } from '../errors.js';
import { faultPoint } from '../fault.js';
import { appliesLive, type ConfigChange, type ConfigKey } from '../plugin.js';
import { ValueError } from '../values.js';
import type { Ve } from './core.js';
import { convertVe } from './convert.js';
import { runHook, validateAll } from './hooks.js';
import { checkNameFree } from './names.js';
import { loadSample, sampleNames } from './samples.js';

/**
 * One change: a key's new raw value (undefined removes it), an edit flag with its
 * argument, or a key to apply again from the config even when unchanged (dropping an
 * unsaved value in force).
 */
export type SetEdit = { key: string; value: string | undefined } | { flag: string; arg: string } | { reapply: string };

export interface SetOptions {
  save?: boolean;
  /**
   * A sample (`ve-NAME.conf-sample`) whose values are laid over the VE before the edits,
   * which win over it; the VE keeps its identity (keys declared `identity`).
   */
  applyConfig?: string;
  /** `name`: make sure the NAME in the VE's config is still its own (vzctl --applyconfig_map name). */
  applyConfigMap?: 'name';
  /** Restart a running VE when a change can only apply at its next start (needs `save`). */
  restart?: boolean;
}

export interface SetResult {
  /** Keys applied to the running VE. */
  applied: string[];
  /** Keys that take effect at the next start. */
  deferred: string[];
  saved: boolean;
  /** The VE was restarted to apply the deferred keys. */
  restarted: boolean;
  /** Keys of an applied sample that were left alone: unknown here, or only for create or --save. */
  ignored: string[];
}


/** Equal as the key writes them: values may be Maps or Sets, which JSON shows all alike (`{}`). */
function sameValue(key: ConfigKey<unknown>, a: unknown, b: unknown): boolean {
  const text = (v: unknown) => (v === undefined ? undefined : key.type.format(v));
  return text(a) === text(b);
}

/**
 * Turns edits into raw overrides, applying edit flags (`--ipadd`) to the current value in
 * order; `forced` collects the keys to apply again even when unchanged.
 */
export function resolveEdits(ve: Ve, edits: SetEdit[], forced = new Set<string>()): Map<string, string | undefined> {
  const { registry } = ve.core;
  const overrides = new Map<string, string | undefined>();
  let view = ve.config;
  for (const e of edits) {
    if ('reapply' in e) {
      const key = registry.keys.get(e.reapply);
      if (!key) throw vzError('BAD_PARAM', `${ve.label}: unknown parameter ${e.reapply}`);
      // What the config files say, without what a `set` without --save put in force.
      overrides.set(key.name, ve.config.withoutOverrides().raw(key.name));
      forced.add(key.name);
    } else if ('key' in e) {
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
          if (err instanceof ValueError) {
            throw vzError(err.code ?? 'BAD_VALUE', `${ve.label}: invalid value for --${e.flag}: ${err.message}`, err.exit !== undefined ? { exit: err.exit } : {});
          }
          throw err;
        }
        overrides.set(key.name, (key as ConfigKey<unknown>).type.format(next));
      }
    }
    view = ve.config.withOverrides(overrides);
  }
  return overrides;
}

/** The sample's values as edits, and the keys of it that are left alone. */
async function sampleEdits(ve: Ve, name: string, save: boolean): Promise<{ edits: SetEdit[]; ignored: string[] }> {
  const { registry } = ve.core;
  const sample = await loadSample(ve.core, name, ve.label);
  if (!sample.file) {
    throw vzError('APPLY_CONFIG', `${ve.label}: sample config file not found: ${sample.path}`, {
      exit: 109, hint: `the samples here: ${(await sampleNames(ve.core)).join(', ') || 'none'}`,
    });
  }
  const edits: SetEdit[] = [];
  const ignored: string[] = [];
  for (const [k, value] of sample.file.entries()) {
    const key = registry.keys.get(k);
    // The VE's identity stays (keys declared `identity`), and where the values come from is the sample's name.
    if (key?.identity || k === ORIGIN_SAMPLE.name) continue;
    const settable = key && (!key.scope || key.scope.includes('set')) && !key.transient && (save || !key.saveOnly);
    if (settable) edits.push({ key: k, value });
    else ignored.push(k);
  }
  edits.push({ key: ORIGIN_SAMPLE.name, value: name });
  return { edits, ignored };
}

export async function setVe(ve: Ve, edits: SetEdit[], opts: SetOptions = {}): Promise<SetResult> {
  const { registry } = ve.core;
  if (opts.restart && !opts.save) throw vzError('BAD_PARAM', `${ve.label}: --setmode restart doesn't make sense without --save flag`);
  let ignored: string[] = [];
  if (opts.applyConfig !== undefined) {
    const fromSample = await sampleEdits(ve, opts.applyConfig, opts.save ?? false);
    edits = [...fromSample.edits, ...edits];
    ignored = fromSample.ignored;
  }
  const forced = new Set<string>();
  const overrides = resolveEdits(ve, edits, forced);
  // A key set alone takes the keys that follow it out of the config (LOCAL_GID follows LOCAL_UID).
  for (const name of [...overrides.keys()]) {
    for (const follower of registry.keys.get(name)?.resets ?? []) if (!overrides.has(follower)) overrides.set(follower, undefined);
  }
  for (const name of overrides.keys()) {
    const key = registry.keys.get(name)!;
    if (key.saveOnly && !opts.save) throw vzError('BAD_PARAM', `${ve.label}: ${key.flag ? `--${key.flag}` : name} needs --save`);
  }
  if ([...overrides.keys()].some((n) => registry.keys.get(n)!.offline)) {
    const changed = await convertVe(ve, overrides);
    if (changed.length) ve.core.events.emit('ve:updated', ve.ctid, changed);
    return { applied: [], deferred: changed, saved: true, restarted: false, ignored };
  }
  const before = ve.config;
  const after = before.withOverrides(overrides);
  ve.config = after;
  try {
    await validateAll(ve);
    if (overrides.has(NAME.name) || opts.applyConfigMap === 'name') await checkNameFree(ve);
  } catch (e) {
    ve.config = before;
    throw e;
  }
  const changes: ConfigChange[] = [];
  for (const name of overrides.keys()) {
    const key = registry.keys.get(name)!;
    const b = before.get(key);
    const a = after.get(key);
    if (!sameValue(key, a, b) || forced.has(name)) changes.push({ key, before: b, after: a });
  }
  const running = ve.state?.phase === 'running';
  const transient = [...overrides.keys()].filter((n) => registry.keys.get(n)!.transient);
  if (transient.length && !running) {
    ve.config = before;
    const k = registry.keys.get(transient[0]!)!;
    const flag = k.flag ?? k.editFlags?.[0]?.flag;
    throw vzError('VE_NOT_RUNNING', `${ve.label} is not running: ${flag ? `--${flag}` : k.name} acts on a running VE`, { hint: `start it first: vzctl start ${ve.ctid}` });
  }
  if (!running && forced.size) {
    ve.config = before;
    throw vzError('VE_NOT_RUNNING', `${ve.label} is not running: there is nothing to apply its configuration to`, { hint: `its configuration applies when it starts: vzctl start ${ve.ctid}` });
  }
  if (!running && !opts.save) {
    ve.config = before;
    throw vzError('VE_NOT_RUNNING', `${ve.label} is not running: nothing was applied or saved`, { hint: 'add --save to change its configuration' });
  }
  const result: SetResult = { applied: [], deferred: [], saved: false, restarted: false, ignored };
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
      // A key applied again from the config is the config's value now, saved or not.
      if (opts.save || forced.has(k)) delete live[k];
      else live[k] = v ?? null;
    }
    if (Object.keys(live).length) ve.state.live = live;
    else delete ve.state.live;
    await ve.saveState();
  }
  if (opts.save) {
    const file = after.veFile;
    for (const [k, v] of overrides) if (!transient.includes(k) && !forced.has(k)) file.set(k, v);
    await writeFileAtomic(ve.paths.conf, file.toString());
    result.saved = true;
  }
  if (changes.length) ve.core.events.emit('ve:updated', ve.ctid, changes.map((c) => c.key.name));
  return result;
}
