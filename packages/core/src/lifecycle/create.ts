/**
 * `vzctl create`: write the VE's config from a sample and the given values, then let
 * the plugins make its private area. An intent record makes a killed create undoable;
 * a failed create removes everything it made.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic-file.js';
import { ConfigFile, ConfigParseError } from '../config-file.js';
import type { VeContext } from '../plugin.js';
import { VeConfig } from '../config.js';
import { CONFIGFILE, DEF_OSTEMPLATE, ORIGIN_SAMPLE, OSTEMPLATE, VE_PRIVATE, VE_ROOT } from '../core-keys.js';
import { vzError } from '../errors.js';
import { faultPoint } from '../fault.js';
import { newState } from '../state.js';
import { loadVe, readGlobalConfig, type Core, type Ve } from './ve.js';
import { loadSample, sampleNames } from './samples.js';
import { runHook, validateAll, withHook } from './hooks.js';
import { checkNameFree } from './names.js';
import { Failures, umountAll } from './teardown.js';
import { convertFilled } from './convert.js';

export interface CreateRequest {
  /** OS template; DEF_OSTEMPLATE of vz.conf when absent. */
  ostemplate?: string;
  /** Sample name: `ve-<name>.conf-sample`; CONFIGFILE of vz.conf when absent. */
  config?: string;
  /**
   * The VE's whole config file (a restore brings the archived one), used instead of a
   * sample; its OSTEMPLATE is the template unless `ostemplate` is given, and `values`
   * still apply over it.
   */
  file?: string;
  /** Raw values of other keys (HOSTNAME, VE_ROOT, NAME, ...). */
  values?: Map<string, string>;
  /** Files to put into the new private area before the config is written (a restore). */
  fill?: CreateFill;
}

/**
 * How a create fills its private area with files from elsewhere (vzrestore): `run` puts
 * them in after every plugin's `create` hook, under the create's intent record (a
 * failed or killed create removes them with the rest); then every plugin's `convert`
 * hook brings them in line with the new VE's config, as a conversion from `madeFor` —
 * ns-fs moves their owners from the archived VE's id range to the new one, quota puts
 * them on the VE's disk — and what the hooks mounted is unmounted before the config is
 * written.
 */
export interface CreateFill {
  /** Raw values the files were made under (the archived VE's LOCAL_UID and LOCAL_GID; undefined: not set). */
  madeFor: ReadonlyMap<string, string | undefined>;
  run(ve: VeContext): Promise<void>;
}

export async function createVe(core: Core, ctid: number, req: CreateRequest): Promise<void> {
  const ve = await loadVe(core, ctid, { mustExist: false });
  await ve.lock.acquire({ op: 'create', waitMs: core.lockWaitMs });
  try {
    ve.state = await ve.store.read();
    if (ve.state) {
      const { reconcile } = await import('./reconcile.js');
      await reconcile(ve);
    }
    if (ve.exists) throw vzError('VE_EXISTS', `${ve.label} already exists (config ${ve.paths.conf})`, { about: ve.label, exit: 44 });
    const global = ve.config;
    const sampleName = req.file === undefined ? req.config ?? global.get(CONFIGFILE) : undefined;
    let file = req.file === undefined ? ConfigFile.empty() : parseGivenConfig(req.file, ve.label);
    if (sampleName) {
      const sample = await loadSample(core, sampleName, ve.label);
      if (sample.file) {
        file = sample.file;
        file.set(ORIGIN_SAMPLE.name, sampleName);
      } else if (req.config !== undefined || global.has(CONFIGFILE)) {
        // A sample someone named must exist: a VE silently made without its limits is worse
        // than no VE. Only the built-in default may be missing (a composition without limits).
        const from = req.config !== undefined ? '' : ` (CONFIGFILE in ${core.paths.globalConf})`;
        throw vzError('SAMPLE_NOT_FOUND', `${ve.label}: sample config ${sample.path}${from} not found`, {
          about: ve.label,
          exit: 82, hint: `the samples here: ${(await sampleNames(core)).join(', ') || 'none'}`,
        });
      }
    }
    // Whether a template is needed is the business of the plugins that use one.
    const ostemplate = req.ostemplate ?? (req.file !== undefined ? file.get(OSTEMPLATE.name) : undefined) ?? global.get(DEF_OSTEMPLATE);
    if (ostemplate) file.set(OSTEMPLATE.name, ostemplate);
    if (!file.get(VE_ROOT.name) && !global.raw(VE_ROOT.name)) file.set(VE_ROOT.name, join(core.paths.root, '$VEID'));
    if (!file.get(VE_PRIVATE.name) && !global.raw(VE_PRIVATE.name)) file.set(VE_PRIVATE.name, join(core.paths.private, '$VEID'));
    for (const [k, v] of req.values ?? []) file.set(k, v);
    const globalFile = await readGlobalConfig(core);
    const configOf = () => new VeConfig(ve.label, { global: globalFile, ve: file }, core.registry.keys, { global: core.paths.globalConf, ve: ve.paths.conf });
    ve.config = configOf();
    await validateAll(ve);
    await checkNameFree(ve);
    // Bad input changes nothing: everything above only read.
    if (await ve.core.host.fs.exists(ve.paths.private)) {
      throw vzError('PRIVATE_EXISTS', `${ve.label}: private area ${ve.paths.private} already exists`, { about: ve.label, hint: 'remove it or choose another --private' });
    }
    core.events.emit('ve:creating', ctid);
    ve.state = newState(ctid, 'creating', 'create');
    await ve.saveState();
    faultPoint('create', 'intent');
    try {
      // What the config leaves to the host (an id range) is chosen before anything is made.
      for (const p of withHook(ve, 'assign')) {
        ve.state.prepared.push(p.name);
        await ve.saveState();
        const values = (await runHook(ve, p, 'assign', { op: 'create' })) as Record<string, string | undefined> | undefined;
        for (const [k, v] of Object.entries(values ?? {})) file.set(k, v);
        ve.config = configOf();
        faultPoint('create', `assign:${p.name}`);
      }
      await validateAll(ve);
      for (const p of withHook(ve, 'create')) {
        if (!ve.state.prepared.includes(p.name)) ve.state.prepared.push(p.name);
        await ve.saveState();
        await runHook(ve, p, 'create', { ostemplate });
        faultPoint('create', `plugin:${p.name}`);
      }
      if (req.fill) {
        await req.fill.run(ve.context());
        faultPoint('create', 'fill');
        await convertFilled(ve, ve.config.withOverrides(new Map(req.fill.madeFor)));
      }
      await writeFileAtomic(ve.paths.conf, file.toString());
      faultPoint('create', 'config');
    } catch (e) {
      const f = new Failures(ve.label);
      await f.run('undo create', () => rollbackCreate(ve));
      f.throwIfAny(e);
    }
    await ve.store.remove();
    ve.state = undefined;
    for (const p of withHook(ve, 'created')) {
      await runHook(ve, p, 'created').catch((e: unknown) => core.log.warn(e instanceof Error ? e.message : String(e)));
    }
    core.events.emit('ve:created', ctid);
  } finally {
    await ve.lock.release();
  }
}

/**
 * Removes what a create (or a destroy) made or left: `destroy` hooks of the plugins
 * recorded, the config, the state. Used on failure and after a crash.
 */
export async function rollbackCreate(ve: Ve): Promise<void> {
  const st = ve.state;
  const names = st?.prepared ?? [];
  const f = new Failures(ve.label);
  // What a filled create's conversion mounted (quota's disk) goes before the files under it.
  if (st?.mounted.length) await umountAll(ve, f);
  for (const p of ve.core.registry.plugins.filter((x) => names.includes(x.name)).reverse()) {
    await f.run(`remove (${p.name})`, () => runHook(ve, p, 'destroy'));
  }
  if (f.errors.length === 0) {
    await rm(ve.paths.conf, { force: true });
    await ve.store.remove();
    ve.state = undefined;
  }
  f.throwIfAny();
}

/** A whole config file given to create (a restore's): refused in one line when it does not parse. */
function parseGivenConfig(text: string, label: string): ConfigFile {
  try {
    return ConfigFile.parse(text);
  } catch (e) {
    if (e instanceof ConfigParseError) throw vzError('BAD_CONFIG', `${label}: the config given ${e.message}`, { about: label, cause: e });
    throw e;
  }
}
