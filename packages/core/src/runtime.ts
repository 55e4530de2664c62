/**
 * The runtime: a VE is composed from the plugins given here. `createRuntime` checks the
 * plugins (order by `requires`, clashes) before any VE is touched; each operation takes
 * the per-CTID lock, reconciles the recorded state with the kernel and runs the hooks.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CORE_FIELDS } from './core-fields.js';
import { CORE_KEYS, NAME } from './core-keys.js';
import { vzError } from './errors.js';
import { EventBus } from './events.js';
import type { ExecResult, ExecSpec, Host } from './host.js';
import { loadVe, readConfigFile, execIn, type Core, type Ve } from './lifecycle/ve.js';
import { createVe, type CreateRequest } from './lifecycle/create.js';
import { destroyVe } from './lifecycle/destroy.js';
import { configuredCtids, listRows, statsOf, statusOf, type VeStatusInfo } from './lifecycle/inspect.js';
import { holdVe, type HeldVe, type HoldMode, type HoldOptions } from './lifecycle/hold.js';
import { mountVe, umountVe } from './lifecycle/mount.js';
import { reconcile, liveStatus } from './lifecycle/reconcile.js';
import { setVe, type SetEdit, type SetOptions, type SetResult } from './lifecycle/set.js';
import { CONSOLE_LOG, startVe, type StartOptions } from './lifecycle/start.js';
import { stopVe } from './lifecycle/stop.js';
import { resolvePaths, type VzPaths } from './paths.js';
import type { CommandDecl, ConfigKey, ConfigView, HookContext, ListField, ListRow, Logger, Plugin, ReapplySwitch, StatRow, StopOptions, VeStatus } from './plugin.js';
import { ContextRegistry, PluginRegistry } from './registry.js';
import { HOST } from './services.js';
import { parseCtid } from './ctid.js';

export type { CreateFill, CreateRequest } from './lifecycle/create.js';
export type { HeldVe, HoldMode, HoldOptions, SetEdit, SetOptions, SetResult, StartOptions, VeStatusInfo };

export interface RuntimeOptions {
  host: Host;
  plugins: readonly Plugin<any, any>[];
  /** Defaults to the system paths. */
  paths?: VzPaths;
  /** Cgroup parent of every VE, over vz.conf's CGROUP_PARENT (the tools: VZKIT_CGROUP_PARENT). */
  cgroupParent?: string;
  log?: Logger;
  /** How long an operation waits for a VE locked by another one (ms); default 0 = fail at once. */
  lockWaitMs?: number;
}

export interface StopRequest extends Partial<StopOptions> {
  /** Leave the VE's root mounted on the host. */
  skipUmount?: boolean;
}

export type RunSpec = Omit<ExecSpec, 'pid' | 'namespaces' | 'cgroup' | 'env'> & { env?: string[] };

const silent: Logger = { info() {}, warn() {}, debug() {} };

export class Runtime {
  readonly events = new EventBus();
  readonly paths: VzPaths;
  readonly host: Host;
  private readonly core: Core;

  constructor(opts: RuntimeOptions) {
    this.paths = opts.paths ?? resolvePaths();
    this.host = opts.host;
    const registry = new PluginRegistry(opts.plugins, CORE_KEYS, CORE_FIELDS);
    registry.provideValue(HOST, opts.host);
    this.core = {
      host: opts.host,
      registry,
      contexts: new ContextRegistry(),
      paths: this.paths,
      events: this.events,
      log: opts.log ?? silent,
      cgroupParent: opts.cgroupParent,
      lockWaitMs: opts.lockWaitMs ?? 0,
    };
  }

  /** Plugins in the order their hooks run. */
  get plugins(): readonly Plugin<any, any>[] {
    return this.core.registry.plugins;
  }

  /** Every config key: the core's and each plugin's. */
  get configKeys(): ConfigKey<any>[] {
    return [...this.core.registry.keys.values()];
  }

  /** `core` or the plugin name. */
  keyOwner(name: string): string | undefined {
    return this.core.registry.keyOwner.get(name);
  }

  get listFields(): ListField[] {
    return [...this.core.registry.listFields.values()];
  }

  get commands(): readonly CommandDecl[] {
    return this.core.registry.commands;
  }

  /** The `vzctl set` switches plugins add that apply their keys again (`--reset_ub`). */
  get reapplySwitches(): ReapplySwitch[] {
    return [...this.core.registry.reapply.values()];
  }

  /** A CTID, or a NAME set with --name. */
  async resolveId(idOrName: string): Promise<number> {
    if (/^\d+$/.test(idOrName)) return parseCtid(idOrName);
    for (const ctid of await configuredCtids(this.core)) {
      const file = await readConfigFile(`${this.paths.confDir}/${ctid}.conf`, `CT ${ctid}`).catch(() => undefined);
      if (file?.get(NAME.name) === idOrName) return ctid;
    }
    return parseCtid(idOrName);
  }

  /**
   * Runs fn on the VE with its lock held and its state reconciled; fn learns which
   * unfinished operation (the phase of a record left behind) the reconciling finished.
   */
  private async locked<T>(ctid: number, op: string, mustExist: boolean, fn: (ve: Ve, finished?: string) => Promise<T>): Promise<T> {
    // A VE without config may still have a state left by a killed create: recover it first.
    let ve = await loadVe(this.core, ctid, { mustExist: false });
    const lock = ve.lock;
    await lock.acquire({ op, waitMs: this.core.lockWaitMs });
    try {
      ve.state = await ve.store.read();
      const left = ve.state?.phase;
      if (ve.state) {
        await reconcile(ve);
        if (!ve.state) ve = await loadVe(this.core, ctid, { mustExist: false });
      }
      if (mustExist && !ve.exists) await loadVe(this.core, ctid, { mustExist: true });
      return await fn(ve, left);
    } finally {
      await lock.release();
    }
  }

  create(ctid: number, req: CreateRequest = {}): Promise<void> {
    return createVe(this.core, ctid, req);
  }

  /** Starts the VE; resolves with init's host pid. */
  start(ctid: number, opts: StartOptions = {}): Promise<number> {
    return this.locked(ctid, 'start', true, (ve) => startVe(ve, opts));
  }

  stop(ctid: number, opts: StopRequest = {}): Promise<void> {
    return this.locked(ctid, 'stop', true, (ve) => stopVe(ve, opts));
  }

  restart(ctid: number, opts: StopRequest & StartOptions = {}): Promise<number> {
    return this.locked(ctid, 'restart', true, async (ve) => {
      if (ve.state?.phase === 'running') await stopVe(ve, opts);
      return startVe(ve, opts);
    });
  }

  destroy(ctid: number): Promise<void> {
    return this.locked(ctid, 'destroy', false, async (ve, finished) => {
      // A destroy that failed or was killed half-way was finished just now: that is this destroy done.
      if (!ve.exists && finished === 'destroying') return;
      if (!ve.exists) await loadVe(this.core, ctid, { mustExist: true });
      await destroyVe(ve);
    });
  }

  mount(ctid: number): Promise<void> {
    return this.locked(ctid, 'mount', true, (ve) => mountVe(ve));
  }

  umount(ctid: number): Promise<void> {
    return this.locked(ctid, 'umount', true, (ve) => umountVe(ve));
  }

  /**
   * Changes the VE's config; with `restart`, a running VE whose changes cannot apply live
   * is stopped and started again under the same lock, so nothing runs in between.
   */
  set(ctid: number, edits: SetEdit[], opts: SetOptions = {}): Promise<SetResult> {
    return this.locked(ctid, 'set', true, async (ve) => {
      const result = await setVe(ve, edits, opts);
      if (opts.restart && result.deferred.length && ve.state?.phase === 'running') {
        await stopVe(ve);
        // Started from the files alone: what the restart is for, without values of an earlier unsaved set.
        ve.config = (await loadVe(this.core, ctid, { mustExist: true })).config;
        await startVe(ve);
        result.restarted = true;
      }
      return result;
    });
  }

  /**
   * Runs `fn` with the VE held still, for a reader of its files such as a backup (its lock
   * held throughout, as `op`): a running VE is frozen (`suspend`) or stopped and started
   * again afterwards (`stop`), a stopped one mounted for `fn` and unmounted afterwards.
   * A holder killed meanwhile is undone by the next operation on the VE: thawed,
   * unmounted, the files it recorded with `leave` removed. Resolves with `fn`'s result.
   */
  hold<T>(ctid: number, opts: HoldOptions, fn: (held: HeldVe) => Promise<T>): Promise<T> {
    return this.locked(ctid, opts.op, true, (ve) => holdVe(ve, opts, fn));
  }

  /**
   * A plugin's own operation on one VE (`vzquota on`, `vzctl quotainit`): `fn` runs with
   * the VE's lock held and its state reconciled, and gets the plugin's hook context and
   * whether the VE is stopped, mounted or running. A stopped VE has no state record, so
   * what `fn` leaves behind must be found again from the files (as `mount` would).
   */
  async withPlugin<T>(ctid: number, plugin: string, op: string, fn: (ctx: HookContext<any, any>, status: VeStatus) => Promise<T>): Promise<T> {
    const p = this.core.registry.plugins.find((x) => x.name === plugin);
    if (!p) throw vzError('PLUGIN', `no plugin ${plugin} in this composition`);
    return this.locked(ctid, op, true, (ve) => {
      const phase = ve.state?.phase;
      return fn(ve.hookContext(p), phase === 'running' ? 'running' : phase === 'mounted' ? 'mounted' : 'stopped');
    });
  }

  /** Runs a command inside the running VE (no lock: like vzctl exec, it runs beside other operations). */
  async exec(ctid: number, spec: RunSpec): Promise<ExecResult> {
    const ve = await this.loadReconciled(ctid, true);
    if ((await liveStatus(ve)) !== 'running') throw vzError('VE_NOT_RUNNING', `${ve.label} is not running`, { about: ve.label });
    return execIn(ve, spec);
  }

  /** Host pids of the processes of a running VE (its cgroup's members); none when it does not run. */
  async pids(ctid: number): Promise<number[]> {
    const ve = await this.loadReconciled(ctid, true);
    if ((await liveStatus(ve)) !== 'running') return [];
    return this.host.cgroups.pids(ve.cgroup);
  }

  /**
   * The file init's console output goes to while the VE runs (`<run>/<CTID>/console.log`):
   * there is one per run, gone when the VE stops and made anew by the next start.
   */
  async consoleLog(ctid: number): Promise<string> {
    const ve = await this.loadReconciled(ctid, true);
    return join(ve.paths.runDir, CONSOLE_LOG);
  }

  async status(ctid: number): Promise<VeStatusInfo> {
    return statusOf(await this.loadReconciled(ctid, false));
  }

  /** The VE's effective config (global defaults + its file). */
  async config(ctid: number): Promise<ConfigView> {
    return (await this.loadReconciled(ctid, true)).config;
  }

  /**
   * Loads a VE for a caller that takes no lock, first cleaning up after an operation that
   * was killed (every vzctl call reconciles): a killed create leaves no half VE to show.
   */
  private async loadReconciled(ctid: number, mustExist: boolean): Promise<Ve> {
    let ve = await loadVe(this.core, ctid, { mustExist: false });
    if (ve.state && ((ve.state.phase !== 'running' && ve.state.phase !== 'mounted') || ve.state.hold)) {
      await liveStatus(ve);
      ve = await loadVe(this.core, ctid, { mustExist: false });
    }
    if (mustExist && !ve.exists) await loadVe(this.core, ctid, { mustExist: true });
    return ve;
  }

  async stats(ctid: number): Promise<StatRow[]> {
    const ve = await this.loadReconciled(ctid, true);
    const running = (await liveStatus(ve)) === 'running';
    return [...(await statsOf(ve, running)).values()];
  }

  /** Rows for vzlist: every configured VE, or the given CTIDs. */
  list(opts: { ctids?: number[]; stats?: boolean | ReadonlySet<string> } = {}): Promise<ListRow[]> {
    return listRows(this.core, { ...(opts.ctids ? { ctids: opts.ctids } : {}), stats: opts.stats ?? false });
  }

  /** CTIDs with a config file. */
  ctids(): Promise<number[]> {
    return configuredCtids(this.core);
  }

  /** Sample configs available to `create --config`: `ve-<name>.conf-sample` files and those the plugins ship. */
  async samples(): Promise<string[]> {
    const names = await readdir(this.paths.confDir).catch(() => [] as string[]);
    const files = names.flatMap((n) => /^ve-(.+)\.conf-sample$/.exec(n)?.[1] ?? []);
    return [...new Set([...files, ...this.core.registry.samples.keys()])].sort();
  }
}

export function createRuntime(opts: RuntimeOptions): Runtime {
  return new Runtime(opts);
}
