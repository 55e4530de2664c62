/**
 * vzkitd: one per vzkit root. It keeps the default composition loaded (the Linux host,
 * its koffi and launcher, the plugins), serves the API, streams events, exports
 * metrics, supervises VEs and does the plugins' upkeep (lxcfs). It holds no state of its
 * own that matters: VEs live in their files and locks as with vzctl, so vzctl works
 * beside it and after it, and a new vzkitd picks up where a killed one stopped.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readFileSync } from 'node:fs';
import { createDefaultRuntime, describeOnlyHost, VERSION } from '@vzkit/cli';
import { resolvePaths, type Host, type Logger, type Runtime, type VzPaths } from '@vzkit/core';
import { Api } from './api/handlers.js';
import { ROUTES, type Handler } from './api/routes.js';
import { EventHub } from './hub.js';
import { ApiServer, type TcpOptions } from './http/server.js';
import { Router } from './http/router.js';
import { Inventory } from './inventory.js';
import { Metrics } from './metrics.js';
import { openApiDocument } from './openapi.js';
import { Supervisor } from './supervisor.js';
import { Tasks } from './tasks.js';

export interface DaemonOptions {
  /** The vzkit root (VZKIT_ROOT, `--root`); undefined for the system's. */
  root: string | undefined;
  /** The environment the composition reads (VZKIT_CGROUP_PARENT ...). */
  env: NodeJS.ProcessEnv;
  /** Default `<run>/vzkitd.sock`. */
  socketPath?: string;
  tcp?: TcpOptions;
  /** Period of the sampling (plugins' events, dead inits found, upkeep). */
  sampleIntervalMs: number;
  /** Start the ONBOOT VEs once per host boot. */
  boot: boolean;
  /** Bulk parallelism of the API. */
  parallel: number;
  /** The reaper's pipe (VZKITD_REAPER_FD) and pid. */
  reaperFd?: number;
  reaperPid?: number;
  /** The composition; default: the CLI's on one Linux host. Tests give one on FakeHost. */
  compose?(opts: { log: Logger; describeOnly: boolean }): Promise<Runtime>;
  log: Logger;
}

export class Daemon {
  readonly paths: VzPaths;
  readonly hub = new EventHub();
  readonly tasks = new Tasks();
  readonly started = new Date();
  rt!: Runtime;
  inventory!: Inventory;
  metrics!: Metrics;
  supervisor!: Supervisor;
  server!: ApiServer;
  #host: Host | undefined;
  #timer: NodeJS.Timeout | undefined;
  #watchers: FSWatcher[] = [];
  #debounce: NodeJS.Timeout | undefined;
  #openapi: unknown;
  #ticking: Promise<void> | undefined;
  #api: Api | undefined;

  private constructor(readonly opts: DaemonOptions) {
    this.paths = resolvePaths(opts.root);
  }

  get socketPath(): string {
    return this.opts.socketPath ?? `${this.paths.run}/vzkitd.sock`;
  }

  /** A runtime for one operation; its events go to the stream unless `events: false` (a read). */
  async newRuntime(log: Logger, opts: { events?: boolean } = {}): Promise<Runtime> {
    const rt = await this.#compose(log, false);
    if (opts.events !== false) this.hub.tap(rt.events);
    return rt;
  }

  #compose(log: Logger, describeOnly: boolean): Promise<Runtime> {
    if (this.opts.compose) return this.opts.compose({ log, describeOnly });
    return createDefaultRuntime({
      ...(this.opts.root !== undefined ? { root: this.opts.root } : {}),
      log,
      ...(describeOnly ? { host: describeOnlyHost } : this.#host ? { host: this.#host } : {}),
    }, this.opts.env);
  }

  static async start(opts: DaemonOptions): Promise<Daemon> {
    const d = new Daemon(opts);
    await d.#start();
    return d;
  }

  async #start(): Promise<void> {
    const { log } = this.opts;
    this.rt = await this.#compose(log, false);
    this.#host = this.rt.host;
    this.hub.tap(this.rt.events);
    this.rt.events.on('warning', (ctid, message) => log.warn(`${ctid !== undefined ? `CT ${ctid}: ` : ''}${message}`));
    this.inventory = new Inventory(this.rt, this.paths);
    this.metrics = new Metrics(this.rt, this.inventory);
    this.supervisor = new Supervisor({ rt: this.rt, newRuntime: (l) => this.newRuntime(l), inventory: this.inventory, metrics: this.metrics, hub: this.hub, log });
    // The reaper's reports first: it kept those of inits that ended while no worker ran.
    if (this.opts.reaperFd !== undefined) this.supervisor.listenToReaper(this.opts.reaperFd);
    // What a killed vzkitd (or vzctl) left half done is finished or undone before anything else.
    await this.supervisor.recover();
    let ownCgroup = '';
    try {
      ownCgroup = readFileSync('/proc/self/cgroup', 'utf8');
    } catch {
      // not Linux (tests on FakeHost)
    }
    const api = (this.#api = new Api({
      newRuntime: (l, o) => this.newRuntime(l, o),
      describeRuntime: (l) => this.#compose(l, true),
      hub: this.hub,
      tasks: this.tasks,
      metrics: this.metrics,
      openapi: async () => (this.#openapi ??= openApiDocument(await this.#compose(log, true), ROUTES, VERSION)),
      info: () => this.info(),
      env: this.opts.env,
      ownCgroup,
      parallel: this.opts.parallel,
    }));
    this.server = new ApiServer(new Router<Handler>(ROUTES), api, { socketPath: this.socketPath, ...(this.opts.tcp ? { tcp: this.opts.tcp } : {}) });
    await this.server.listen();
    this.#timer = setInterval(() => void this.tick(), this.opts.sampleIntervalMs);
    this.#timer.unref();
    this.#watch();
    if (this.opts.boot) void this.#boot();
  }

  /** One sampling pass (also what a test calls instead of waiting for the timer). */
  tick(): Promise<void> {
    this.#ticking ??= (async () => {
      try {
        // A scrape that just ran did the sampling's work.
        if (Date.now() - this.metrics.lastPass > this.opts.sampleIntervalMs / 2) await this.supervisor.tick();
        else await this.supervisor.observe();
        const ctx = { host: this.rt.host, paths: this.paths, events: this.rt.events, log: this.opts.log };
        for (const p of this.rt.plugins) await p.upkeep?.tick(ctx).catch((e: unknown) => this.opts.log.warn(`${p.name}: ${e instanceof Error ? e.message : String(e)}`));
      } catch (e) {
        this.opts.log.warn(`sampling: ${e instanceof Error ? e.message : String(e)}`);
      }
    })().finally(() => {
      this.#ticking = undefined;
    });
    return this.#ticking;
  }

  /** Changes by others (vzctl) show at once: configs and run directories are watched. */
  #watch(): void {
    const changed = () => {
      clearTimeout(this.#debounce);
      this.#debounce = setTimeout(() => {
        void this.supervisor.observe().catch(() => undefined);
      }, 100);
      this.#debounce.unref();
    };
    for (const dir of [this.paths.confDir, this.paths.run]) {
      try {
        const w = watch(dir, { persistent: false }, changed);
        w.on('error', () => undefined);
        this.#watchers.push(w);
      } catch {
        // Not made yet (no VE ever created): the sampling still sees changes.
      }
    }
  }

  /** ONBOOT VEs once per host boot: the marker lives in /run, which a reboot empties. */
  async #boot(): Promise<void> {
    const { existsSync, writeFileSync, mkdirSync } = await import('node:fs');
    const marker = `${this.paths.run}/vzkitd.booted`;
    if (existsSync(marker)) return;
    mkdirSync(this.paths.run, { recursive: true });
    writeFileSync(marker, `${new Date().toISOString()}\n`);
    await this.supervisor.boot();
  }

  info(): Record<string, unknown> {
    return {
      name: 'vzkitd',
      version: VERSION,
      root: this.paths.prefix || '/',
      pid: process.pid,
      ...(this.opts.reaperPid !== undefined ? { reaper: this.opts.reaperPid } : {}),
      supervision: this.opts.reaperFd !== undefined ? 'reaper' : 'sampling',
      started: this.started.toISOString(),
      socket: this.socketPath,
      ...(this.opts.tcp ? { tcp: `${this.opts.tcp.host}:${this.server.tcpPort() ?? this.opts.tcp.port}` } : {}),
      sampleIntervalMs: this.opts.sampleIntervalMs,
      plugins: this.rt.plugins.map((p) => p.name),
      subscribers: this.hub.subscribers,
    };
  }

  /** Stops listening; operations in flight run to their end first (up to `graceMs`). */
  async stop(graceMs = 30_000): Promise<void> {
    clearInterval(this.#timer);
    clearTimeout(this.#debounce);
    for (const w of this.#watchers) w.close();
    this.supervisor.close();
    const closing = this.server.stopListening();
    const deadline = Date.now() + graceMs;
    const busy = () => this.tasks.list().some((t) => t.state === 'running') || (this.#api?.forwarded ?? 0) > 0;
    while (busy() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await this.#ticking;
    this.server.closeConnections();
    await closing;
  }
}
