/**
 * An offline `set`: keys declared `offline` (LOCAL_UID) change only on a VE that is
 * neither running nor mounted, because its files must change first. Intent record →
 * `assign` (values left to the host, `auto`) → `convert` of each plugin that owns or
 * watches a changed key → `umount` of what they mounted → the config → no record. A
 * conversion that fails, or is killed before its config is written, is undone by
 * running the same hooks again with the configs swapped; once the config is written it
 * is complete.
 */
import { writeFileAtomic } from '../atomic-file.js';
import { ConfigFile } from '../config-file.js';
import { vzError } from '../errors.js';
import { faultPoint } from '../fault.js';
import type { ConfigChange, Conversion, Plugin } from '../plugin.js';
import { newState } from '../state.js';
import type { VeConfig } from '../config.js';
import type { Ve } from './ve.js';
import { runHook, validateAll, withHook } from './hooks.js';
import { Failures, umountAll } from './teardown.js';

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Changes between two configs of the keys `names`. */
function changesOf(ve: Ve, from: VeConfig, to: VeConfig, names: Iterable<string>): ConfigChange[] {
  const out: ConfigChange[] = [];
  for (const name of names) {
    const key = ve.core.registry.keys.get(name)!;
    const b = from.get(key);
    const a = to.get(key);
    if (!sameValue(a, b)) out.push({ key, before: b, after: a });
  }
  return out;
}

/** Plugins whose `convert` a change concerns: they own or watch one of its keys. */
function converters(ve: Ve, changes: ConfigChange[]): Plugin<any, any>[] {
  const { registry } = ve.core;
  return withHook(ve, 'convert').filter((p) => changes.some((c) => registry.keyOwner.get(c.key.name) === p.name || p.watches?.includes(c.key.name)));
}

function asOverrides(record: Record<string, string | null>): Map<string, string | undefined> {
  return new Map(Object.entries(record).map(([k, v]) => [k, v ?? undefined]));
}

/**
 * Applies `overrides` (raw values, some of offline keys) to the stopped VE and saves
 * them. Returns the names of the keys whose value changed.
 */
export async function convertVe(ve: Ve, overrides: Map<string, string | undefined>): Promise<string[]> {
  const offline = [...overrides.keys()].filter((n) => ve.core.registry.keys.get(n)?.offline);
  if (ve.state) {
    const running = ve.state.phase !== 'mounted';
    const what = offline.map((n) => ve.core.registry.keys.get(n)!).map((k) => (k.flag ? `--${k.flag}` : k.name)).join(', ');
    throw vzError(running ? 'VE_RUNNING' : 'MOUNTED', `${ve.label} is ${running ? 'running' : 'mounted'}: ${what} changes the VE's files and needs it stopped and unmounted`, {
      about: ve.label,
      hint: `vzctl ${running ? 'stop' : 'umount'} ${ve.ctid} first`,
    });
  }
  const before = ve.config;
  let after = before.withOverrides(overrides);
  ve.config = after;
  try {
    await validateAll(ve);
  } catch (e) {
    ve.config = before;
    throw e;
  }
  ve.state = newState(ve.ctid, 'converting', 'set');
  ve.state.convert = {};
  await ve.saveState();
  faultPoint('set', 'intent');
  const st = ve.state;
  try {
    const chosen = new Map(overrides);
    for (const p of withHook(ve, 'assign')) {
      const values = (await runHook(ve, p, 'assign', { op: 'set', before })) as Record<string, string | undefined> | undefined;
      for (const [k, v] of Object.entries(values ?? {})) chosen.set(k, v);
      after = before.withOverrides(chosen);
      ve.config = after;
      faultPoint('set', `assign:${p.name}`);
    }
    await validateAll(ve);
    st.convert = { overrides: Object.fromEntries([...chosen].map(([k, v]) => [k, v ?? null])) };
    await ve.saveState();
    const changes = changesOf(ve, before, after, chosen.keys());
    await runConverts(ve, { from: before, to: after, changes, undo: false });
    const f = new Failures(ve.label);
    await umountAll(ve, f);
    f.throwIfAny();
    // A copy: the loaded config keeps saying what is on disk until the rename.
    const file = ConfigFile.parse(after.veFile.toString());
    for (const [k, v] of chosen) file.set(k, v);
    await writeFileAtomic(ve.paths.conf, file.toString());
    faultPoint('set', 'config');
    await ve.store.remove();
    ve.state = undefined;
    return changes.map((c) => c.key.name);
  } catch (e) {
    ve.config = before;
    const f = new Failures(ve.label);
    await f.run('undo the change', () => undoConversion(ve));
    f.throwIfAny(e);
    throw e;
  }
}

async function runConverts(ve: Ve, conv: Conversion): Promise<void> {
  const st = ve.state!;
  for (const p of converters(ve, conv.changes)) {
    if (!st.prepared.includes(p.name)) st.prepared.push(p.name);
    if (!st.mounted.includes(p.name)) st.mounted.push(p.name);
    await ve.saveState();
    await runHook(ve, p, 'convert', conv);
    faultPoint('set', `convert:${p.name}`);
  }
}

/**
 * After a failed or killed conversion (the VE's state says converting): if its config
 * already holds the new values the conversion was complete and only its record goes;
 * otherwise every plugin that began its `convert` undoes it, in plugin order.
 */
export async function undoConversion(ve: Ve): Promise<void> {
  const st = ve.state;
  if (!st) return;
  const recorded = st.convert?.overrides;
  const current = ve.config;
  if (recorded) {
    const target = current.withOverrides(asOverrides(recorded));
    const done = Object.entries(recorded).every(([k, v]) => (current.veFile.get(k) ?? null) === v);
    if (!done) {
      const changes = changesOf(ve, target, current, Object.keys(recorded));
      const began = new Set(st.prepared);
      for (const p of converters(ve, changes).filter((x) => began.has(x.name))) {
        if (!st.mounted.includes(p.name)) st.mounted.push(p.name);
        await ve.saveState();
        await runHook(ve, p, 'convert', { from: target, to: current, changes, undo: true });
      }
    }
  }
  const f = new Failures(ve.label);
  await umountAll(ve, f);
  f.throwIfAny();
  await ve.store.remove();
  ve.state = undefined;
}

/**
 * A create filled the private area with files made under `from` (a restore: the archived
 * VE's id range): every plugin's `convert` hook brings them in line with the VE's own
 * config — not only those of keys that changed: the files are new to each of them (quota
 * puts them on the VE's disk, ns-fs moves their owners). Recorded like a conversion, so a
 * failed or killed create unmounts and removes what they did; then what they mounted is
 * unmounted.
 */
export async function convertFilled(ve: Ve, from: VeConfig): Promise<void> {
  const st = ve.state!;
  const to = ve.config;
  const changes = changesOf(ve, from, to, [...ve.core.registry.keys.keys()].filter((n) => from.raw(n) !== to.raw(n)));
  for (const p of withHook(ve, 'convert')) {
    if (!st.prepared.includes(p.name)) st.prepared.push(p.name);
    if (!st.mounted.includes(p.name)) st.mounted.push(p.name);
    await ve.saveState();
    await runHook(ve, p, 'convert', { from, to, changes, undo: false });
    faultPoint('create', `convert:${p.name}`);
  }
  const f = new Failures(ve.label);
  await umountAll(ve, f);
  f.throwIfAny();
}
