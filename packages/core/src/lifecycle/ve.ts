/**
 * The Ve every verb works on: one VE's loaded pieces (config, paths, state, lock), how
 * it is loaded, and the scoped context each plugin's hooks receive; with the Core they
 * share (host, registries, paths, events, log).
 */
import { readFileSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { writeFileAtomic } from '../atomic-file.js';
import { join } from 'node:path';
import { ConfigFile, ConfigParseError } from '../config-file.js';
import { VeConfig } from '../config.js';
import { CGROUP_PARENT, VE_PRIVATE, VE_ROOT } from '../core-keys.js';
import { ctLabel, vzError } from '../errors.js';
import { ID_MAPPING } from '../services.js';
import type { EventBus } from '../events.js';
import type { ExecSpec, Host } from '../host.js';
import { VeLock } from '../lock.js';
import { substituteCtid, type VePaths, type VzPaths } from '../paths.js';
import type { ConfigView, HookContext, Logger, Plugin, ScratchStore, VeContext } from '../plugin.js';
import type { ContextRegistry, PluginRegistry } from '../registry.js';
import { StateStore, type VeState } from '../state.js';
import { sharedWhileRunning } from '../shared-run.js';

export interface Core {
  host: Host;
  registry: PluginRegistry;
  contexts: ContextRegistry;
  paths: VzPaths;
  events: EventBus;
  log: Logger;
  /** Overrides CGROUP_PARENT (tests: `@self/vzkit-test-<pid>`). */
  cgroupParent: string | undefined;
  lockWaitMs: number;
}

export async function readConfigFile(path: string, label: string): Promise<ConfigFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  return parseConfigText(text, path, label);
}

function parseConfigText(text: string, path: string, label: string): ConfigFile {
  try {
    return ConfigFile.parse(text);
  } catch (e) {
    if (e instanceof ConfigParseError) throw vzError('BAD_CONFIG', `${label}: ${path} ${e.message}`, { about: label, cause: e });
    throw e;
  }
}

/**
 * vz.conf's text, by path: the VEs of a bulk start that load while a read is under way
 * share it; an edit is seen by the next load. Each caller parses its own copy.
 */
const readGlobal = sharedWhileRunning<string, string | undefined>();

export async function readGlobalConfig(core: Core): Promise<ConfigFile> {
  const path = core.paths.globalConf;
  const text = await readGlobal(path, () => readFile(path, 'utf8').catch((e: unknown) => {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }));
  return text === undefined ? ConfigFile.empty() : parseConfigText(text, path, 'vz.conf');
}

/** One VE as an operation sees it. */
export class Ve {
  readonly label: string;
  state: VeState | undefined;
  readonly store: StateStore;
  readonly lock: VeLock;

  constructor(
    readonly core: Core,
    readonly ctid: number,
    public config: VeConfig,
    readonly exists: boolean,
  ) {
    this.label = ctLabel(ctid);
    const runDir = join(core.paths.run, String(ctid));
    this.store = new StateStore(join(runDir, 'state.json'), ctid);
    this.lock = new VeLock(join(core.paths.run, `${ctid}.lck`), ctid, core.host.processes);
  }

  get paths(): VePaths {
    const p = this.core.paths;
    const runDir = join(p.run, String(this.ctid));
    return {
      prefix: p.prefix,
      conf: join(p.confDir, `${this.ctid}.conf`),
      private: substituteCtid(this.config.get(VE_PRIVATE) ?? join(p.private, '$VEID'), this.ctid),
      root: substituteCtid(this.config.get(VE_ROOT) ?? join(p.root, '$VEID'), this.ctid),
      runDir,
      state: join(runDir, 'state.json'),
      lock: join(p.run, `${this.ctid}.lck`),
      template: p.template,
    };
  }

  get cgroup(): string {
    if (this.state?.cgroup) return this.state.cgroup;
    const parent = (this.core.cgroupParent ?? this.config.get(CGROUP_PARENT) ?? 'vzkit').replace(/\/+$/, '');
    return `${parent}/${this.ctid}`;
  }

  async saveState(): Promise<void> {
    if (this.state) await this.store.write(this.state);
  }

  context(): VeContext {
    const ve = this;
    return {
      ctid: ve.ctid,
      label: ve.label,
      get config() { return ve.config; },
      get paths() { return ve.paths; },
      get cgroup() { return ve.cgroup; },
      get initPid() { return ve.state?.phase === 'running' || ve.state?.phase === 'stopping' ? ve.state.pid : undefined; },
      get idmap() { return ve.core.registry.optionalService(ID_MAPPING)?.of(ve.config); },
    };
  }

  /** The scoped context one plugin's hooks receive. */
  hookContext(plugin: Plugin<any, any>): HookContext<any, any> {
    const ve = this;
    const core = this.core;
    const prefix = `${this.label} [${plugin.name.replace(/^@vzkit\//, '')}]`;
    return {
      ve: this.context(),
      host: core.host,
      slot: core.contexts.slot(this.ctid, plugin.name),
      state: {
        get: () => ve.state?.plugins[plugin.name],
        async set(value) {
          if (!ve.state) throw vzError('SYSTEM', `${ve.label}: plugin ${plugin.name} recorded state outside an operation`, { about: ve.label });
          ve.state.plugins[plugin.name] = value;
          await ve.saveState();
        },
        async clear() {
          if (ve.state && plugin.name in ve.state.plugins) {
            delete ve.state.plugins[plugin.name];
            await ve.saveState();
          }
        },
      },
      scratch: scratchStore(ve.paths.runDir, plugin.name),
      log: {
        info: (m) => core.log.info(m),
        warn: (m) => core.log.warn(`${prefix}: ${m}`),
        debug: (m) => core.log.debug(`${prefix}: ${m}`),
      },
      events: core.events,
      service: (token) => core.registry.service(token),
      optionalService: (token) => core.registry.optionalService(token),
      others: () => otherConfigs(core, ve.ctid),
      exec: (spec) => execIn(ve, spec),
    };
  }
}

/** A plugin's scratch files: `<run>/<ctid>/<plugin>.<name>` (`ubc.peaks.json`). */
function scratchStore(runDir: string, plugin: string): ScratchStore {
  const prefix = plugin.replace(/^@vzkit\//, '').replace(/[^A-Za-z0-9_-]/g, '_');
  const fileOf = (name: string) => {
    if (!/^[A-Za-z0-9._-]+$/.test(name)) throw vzError('PLUGIN', `plugin ${plugin}: bad scratch file name ${JSON.stringify(name)}`);
    return join(runDir, `${prefix}.${name}`);
  };
  return {
    read: (name) => readFile(fileOf(name), 'utf8').catch(() => undefined),
    async write(name, data) {
      const path = fileOf(name);
      if (!(await stat(runDir).then((s) => s.isDirectory(), () => false))) return;
      await writeFileAtomic(path, data, 0o600, { durable: false });
    },
  };
}

/** CTIDs with a config file, in order. */
export async function configuredCtids(core: Core): Promise<number[]> {
  const names = await readdir(core.paths.confDir).catch(() => [] as string[]);
  return names
    .map((n) => /^(\d+)\.conf$/.exec(n)?.[1])
    .filter((x): x is string => x !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

/**
 * The configs of every VE but `ctid`: the files only (no state), read synchronously —
 * small local files, and a thread-pool round trip each made a create beside a thousand
 * VEs a quarter of a second slower.
 */
async function otherConfigs(core: Core, ctid: number): Promise<Array<{ ctid: number; config: ConfigView }>> {
  const global = await readGlobalConfig(core);
  const out: Array<{ ctid: number; config: ConfigView }> = [];
  for (const id of await configuredCtids(core)) {
    if (id === ctid) continue;
    const label = ctLabel(id);
    const path = join(core.paths.confDir, `${id}.conf`);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      // Destroyed meanwhile.
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw e;
    }
    out.push({ ctid: id, config: new VeConfig(label, { global, ve: parseConfigText(text, path, label) }, core.registry.keys, { global: core.paths.globalConf, ve: path }) });
  }
  return out;
}

export async function loadVe(core: Core, ctid: number, opts: { mustExist: boolean }): Promise<Ve> {
  const label = ctLabel(ctid);
  const global = await readGlobalConfig(core);
  const confPath = join(core.paths.confDir, `${ctid}.conf`);
  const file = await readConfigFile(confPath, label);
  if (!file && opts.mustExist) {
    throw vzError('VE_NOT_FOUND', `${label} does not exist (no config file ${confPath})`, { about: label, hint: `create it with 'vzctl create ${ctid}'` });
  }
  const config = new VeConfig(label, { global, ve: file ?? ConfigFile.empty() }, core.registry.keys, { global: core.paths.globalConf, ve: confPath });
  const ve = new Ve(core, ctid, config, file !== undefined);
  ve.state = await ve.store.read();
  const live = ve.state?.live;
  if (live && (ve.state?.phase === 'running' || ve.state?.phase === 'stopping')) {
    // What an unsaved `set` changed is what the running VE has: every operation sees it.
    ve.config = config.withOverrides(new Map(Object.entries(live).map(([k, v]) => [k, v ?? undefined])));
  }
  return ve;
}

/** Default environment of commands run inside a VE (vzctl exec sets no host variables). */
export const EXEC_ENV = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/root', 'TERM=linux', 'LANG=C'];

export async function execIn(ve: Ve, spec: Omit<ExecSpec, 'pid' | 'namespaces' | 'cgroup' | 'env'> & { env?: string[] }) {
  const st = ve.state;
  if (!st?.pid || (st.phase !== 'running' && st.phase !== 'stopping' && st.phase !== 'starting')) {
    throw vzError('VE_NOT_RUNNING', `${ve.label} is not running`, { about: ve.label });
  }
  return ve.core.host.launcher.exec({
    cwd: '/',
    ...spec,
    env: spec.env ?? EXEC_ENV,
    pid: st.pid,
    namespaces: (st.namespaces ?? []) as ExecSpec['namespaces'],
    ...(st.joinOps?.length ? { ops: st.joinOps } : {}),
    ...(st.cgroup ? { cgroup: st.cgroup } : {}),
  });
}
