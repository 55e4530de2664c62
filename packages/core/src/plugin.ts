/**
 * The plugin API. A plugin declares the config keys it owns, the hooks it runs in the
 * lifecycle, the vzlist columns and the commands it adds. The core knows no plugin by
 * name: it orders them by `requires`, runs their hooks and generates the CLI from their
 * declarations.
 */
import type { ValueType } from './values.js';
import type { CgroupRef, ExecResult, ExecSpec, Host } from './host.js';
import type { LaunchPlan } from './plan.js';
import type { EventBus } from './events.js';
import type { VePaths } from './paths.js';
import type { VeIdMap } from './services.js';

/** When a key may be given. */
export type KeyScope = 'create' | 'set';

/** A flag that edits a key incrementally instead of replacing it (`--ipadd`, `--ipdel`). */
export interface EditFlag<T> {
  flag: string;
  arg: string;
  description: string;
  /** Combines the current value with one argument; throw ValueError on bad input. */
  apply(current: T | undefined, arg: string): T;
  /** The argument may leave out a secret, which the front end then reads on its own channel. */
  secret?: EditFlagSecret;
}

/**
 * Part of an edit flag's argument that must not travel on a command line, where every
 * user of the host can read it (/proc/PID/cmdline): a password. The argument may leave
 * it out; a front end then asks for it on its own channel — vzctl reads stdin, a daemon
 * the request body — and hands `join(arg, secret)` to `apply`.
 */
export interface EditFlagSecret {
  /** What the secret is, for prompts and messages (`password for root`). */
  what(arg: string): string;
  /** The argument holds the secret itself (OpenVZ's `root:password`): taken, with a warning. */
  inline(arg: string): boolean;
  /** The argument with the secret read for it. */
  join(arg: string, secret: string): string;
}

/** Per-change liveness; a method's type, so a ConfigKey<number> still is a ConfigKey<unknown>. */
export type LiveRule<T> = { rule(before: T | undefined, after: T | undefined): boolean }['rule'];

export interface ConfigKeyDecl<T> {
  /** The key in config files, upper case (`HOSTNAME`). */
  name: string;
  type: ValueType<T>;
  /** The value a VE has when its config does not set the key. */
  default?: T;
  description: string;
  /**
   * Can it change on a running VE? `true`: the owning plugin's `update` applies it at
   * once; `false`: it is saved and applies at the next start (the CLI says so). A function
   * decides per change, from the value before and after (QUOTAUGIDLIMIT: another number
   * applies at once, turning the feature on or off at the next start).
   */
  live: boolean | LiveRule<T>;
  /** The CLI flag without dashes (`hostname`); none = config file only. */
  flag?: string;
  /** Commands that accept the flag; default both. */
  scope?: KeyScope[];
  /** `set` refuses the flag without --save (OpenVZ: --name, --ostemplate). */
  saveOnly?: boolean;
  /**
   * An action on the running VE rather than a setting (`--userpasswd`): handed to the
   * owner's `update`, never written to the config file or the VE's state.
   */
  transient?: boolean;
  /**
   * A change needs work on the VE's files (LOCAL_UID: their ownership). `set` takes it
   * only with --save, on a VE that is neither running nor mounted, and runs the `convert`
   * hooks of the plugins that own or watch the key before the config is written.
   */
  offline?: boolean;
  /**
   * Part of the VE's identity, which `vzctl set --applyconfig SAMPLE` keeps whatever the
   * sample says (vzctl's list: HOSTNAME, IP_ADDRESS, OSTEMPLATE, VE_ROOT, VE_PRIVATE; and
   * what names the VE or fixes its files).
   */
  identity?: boolean;
  /**
   * Keys that a `set` of this one, without them, takes out of the VE's config, so that
   * they follow it again (LOCAL_GID follows LOCAL_UID).
   */
  resets?: readonly string[];
  /** Checks of the value alone; return the reason it is wrong. Cross-key rules go in `validate`. */
  check?(value: T): string | undefined;
  editFlags?: EditFlag<T>[];
}

/** A declared key; also the typed accessor: `ctx.config.get(HOSTNAME)` is a string. */
export interface ConfigKey<T> extends Readonly<ConfigKeyDecl<T>> {
  readonly __type?: T;
}

export function defineKey<T>(decl: ConfigKeyDecl<T>): ConfigKey<T> {
  if (!/^[A-Z][A-Z0-9_]*$/.test(decl.name)) throw new Error(`config key ${decl.name}: names are UPPER_SNAKE`);
  return Object.freeze({ ...decl });
}

/** The parsed config of one VE: global defaults, then its own file, then pending changes. */
export interface ConfigView {
  get<T>(key: ConfigKey<T>): T | undefined;
  /** True when the VE's files (not the key default) set the key. */
  has(key: ConfigKey<unknown>): boolean;
  /** Raw text of any key, including ones no plugin owns. */
  raw(name: string): string | undefined;
}

export type VeStatus = 'stopped' | 'mounted' | 'running';

/** What the registry keeps for one VE while an operation runs on it. */
export interface VeContext {
  readonly ctid: number;
  readonly label: string;
  readonly config: ConfigView;
  readonly paths: VePaths;
  /** The VE's cgroup (`<parent>/<ctid>`). */
  readonly cgroup: CgroupRef;
  /** Host pid of init while running. */
  readonly initPid: number | undefined;
  /**
   * The VE's user-namespace mapping, as the ID_MAPPING service (ns-user) reads it from
   * the config; undefined when its root is the host's root, or no plugin provides one.
   * Files the host makes for the VE belong to `idmap.uid`/`idmap.gid`.
   */
  readonly idmap: VeIdMap | undefined;
}

/** The persistent part of a plugin's per-VE state, kept in state.json across vzctl runs. */
export interface PluginState<S> {
  get(): S | undefined;
  /** Writes state.json at once (atomically): call it *before* the side effect it records. */
  set(value: S): Promise<void>;
  clear(): Promise<void>;
}

/**
 * Small per-VE files of a running VE that are not intent records (peaks seen, caches):
 * kept in its run directory, gone when the VE stops. Written atomically but without the
 * VE's lock, so readers such as vzlist may use them; the last writer wins.
 */
export interface ScratchStore {
  read(name: string): Promise<string | undefined>;
  /** Does nothing when the VE has no run directory (it is not running). */
  write(name: string, data: string): Promise<void>;
}

export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  debug(msg: string): void;
}

/** A service token: how one plugin reaches another's service without importing it. */
export interface ServiceToken<T> {
  readonly id: symbol;
  readonly description: string;
  readonly __type?: T;
}

export function defineToken<T>(description: string): ServiceToken<T> {
  return Object.freeze({ id: Symbol(description), description });
}

/** What a provider's factory may ask for: the Host (HOST) and other plugins' services. */
export interface ServiceResolver {
  service<T>(token: ServiceToken<T>): T;
  optionalService<T>(token: ServiceToken<T>): T | undefined;
}

/** A service a plugin offers: made once per runtime, on first use, by `create`. */
export interface ServiceProvider<T> {
  token: ServiceToken<T>;
  create(resolve: ServiceResolver): T;
}

/** What every hook receives as its first argument: this VE, this plugin's scope. */
export interface HookContext<S = unknown, Slot = unknown> {
  readonly ve: VeContext;
  readonly host: Host;
  /** In-memory per-VE slot of this plugin (lives as long as the runtime). */
  readonly slot: { get(): Slot | undefined; set(v: Slot): void };
  readonly state: PluginState<S>;
  readonly scratch: ScratchStore;
  readonly log: Logger;
  readonly events: EventBus;
  /** A service another plugin provides; PLUGIN error when none does. */
  service<T>(token: ServiceToken<T>): T;
  /** A service another plugin provides, or undefined when this composition has none. */
  optionalService<T>(token: ServiceToken<T>): T | undefined;
  /**
   * The other VEs of this vzkit root, by their configs: for choices that must not clash
   * with theirs (a free id range). A config that cannot be read fails the call.
   */
  others(): Promise<Array<{ ctid: number; config: ConfigView }>>;
  /** Runs a command inside the running VE (dist scripts, checks). */
  exec(spec: Omit<ExecSpec, 'pid' | 'namespaces' | 'cgroup' | 'env'> & { env?: string[] }): Promise<ExecResult>;
}

export interface ConfigChange<T = unknown> {
  key: ConfigKey<T>;
  before: T | undefined;
  after: T | undefined;
}

/** Whether a change applies to the running VE at once (see {@link ConfigKeyDecl.live}). */
export function appliesLive<T>(change: ConfigChange<T>): boolean {
  const live = change.key.live;
  return typeof live === 'function' ? live(change.before, change.after) : live;
}

export interface StopOptions {
  fast: boolean;
  /** Milliseconds to wait for a clean halt before everything is killed. */
  timeoutMs: number;
}

/** One counter row for vzubc / vzlist / vzquota (held, maxheld, barrier, limit, failcnt). */
export interface StatRow {
  /** Resource name (`numproc`, `physpages`, `diskspace`, `cpu`). */
  resource: string;
  held?: number;
  maxheld?: number;
  barrier?: number;
  limit?: number;
  failcnt?: number;
  /** Honest status: enforced, accounted only, or unsupported on this kernel. */
  status?: 'enforced' | 'accounted' | 'unsupported';
  extra?: Record<string, number | string>;
}

export interface CreateOptions {
  /** OS template name, also saved as OSTEMPLATE. */
  ostemplate: string | undefined;
}

/** What an `assign` hook is asked for. */
export interface AssignRequest {
  op: 'create' | 'set';
  /** For `set`: the VE's config before the change (its current choice, e.g. the range its files are in). */
  before?: ConfigView;
}

/** An offline change of a stopped VE's config (`set --save` of keys declared `offline`). */
export interface Conversion {
  /** The VE's config the files match now, and the one they must match afterwards. */
  from: ConfigView;
  to: ConfigView;
  changes: ConfigChange[];
  /**
   * Undoing a conversion that failed or was killed (`from` and `to` are the other way
   * round): only what this plugin's own `convert` had begun needs undoing.
   */
  undo: boolean;
}

export interface PluginHooks<S = unknown, Slot = unknown> {
  /** Pure checks of the config, cross-key rules. Throw VzError BAD_VALUE/BAD_CONFIG. */
  validate?(ctx: HookContext<S, Slot>): void | Promise<void>;
  /**
   * `create`, and `set --save` of an offline key: choose what the config leaves to the
   * host (ns-user's `auto`: a free id range) before anything is made. Runs in plugin
   * order under the operation's intent record; the raw values returned go into the VE's
   * config (the file written at the end, and what every later hook sees; undefined takes
   * a key out of it). A choice held
   * until the config holds it (a reservation) is released in `created`, or in `destroy`
   * when the create is undone; a plugin must not rely on either for `set`.
   */
  assign?(ctx: HookContext<S, Slot>, req: AssignRequest): Promise<Record<string, string | undefined> | undefined>;
  /**
   * A stopped VE's offline keys change (`set --save`): rework its files to match `to`
   * (shift the ownership of the private area). Runs in plugin order with the VE locked,
   * neither running nor mounted, before the config is written; the core records the
   * plugin as mounted before the call, so what it mounts for the work is taken away by
   * its `umount` afterwards. Must be idempotent: a killed conversion is undone by calling
   * it again with `undo` and the configs swapped.
   */
  convert?(ctx: HookContext<S, Slot>, conv: Conversion): Promise<void>;
  /** `vzctl create`: make what the VE needs on disk (private area from a template). */
  create?(ctx: HookContext<S, Slot>, opts: CreateOptions): Promise<void>;
  /**
   * `vzctl create` is committed: the VE's config is written. For what only the create
   * needed (a marker that it is in progress); a failure here is a warning, not an undo.
   */
  created?(ctx: HookContext<S, Slot>): Promise<void>;
  /** Mount the VE's root on the host (start, `vzctl mount`). */
  mount?(ctx: HookContext<S, Slot>): Promise<void>;
  /** Host-side work before the VE exists; add namespaces and child ops to the plan. */
  prepare?(ctx: HookContext<S, Slot>, plan: LaunchPlan): Promise<void>;
  /** Host-side work that needs init's pid (init is stopped on the handshake). */
  attach?(ctx: HookContext<S, Slot>, pid: number): Promise<void>;
  /** The VE runs: record, announce. */
  started?(ctx: HookContext<S, Slot>): Promise<void>;
  /** Apply changed live keys (this plugin's own) to the running VE. */
  update?(ctx: HookContext<S, Slot>, changes: ConfigChange[]): Promise<void>;
  /** Ask the VE to stop (signal its init); the core kills what is left afterwards. */
  stop?(ctx: HookContext<S, Slot>, opts: StopOptions): Promise<void>;
  /** Undo `prepare`/`attach` after init is gone. Idempotent: also runs after a crash. */
  cleanup?(ctx: HookContext<S, Slot>): Promise<void>;
  /** Undo `mount`. Idempotent. */
  umount?(ctx: HookContext<S, Slot>): Promise<void>;
  /** `vzctl destroy`: remove what `create` made. Idempotent. */
  destroy?(ctx: HookContext<S, Slot>): Promise<void>;
  /**
   * Counters for vzlist/vzubc; called on running VEs (and stopped ones for limits).
   * `want` names the resources the caller needs (undefined: all); a plugin may skip
   * costly rows nobody asked for.
   */
  stats?(ctx: HookContext<S, Slot>, running: boolean, want?: ReadonlySet<string>): Promise<StatRow[]>;
}

/** Information a vzlist column reads. */
export interface ListRow {
  ctid: number;
  status: VeStatus;
  config: ConfigView;
  /** Rows from every plugin's `stats`, by resource name (only when a column needs them). */
  stats: ReadonlyMap<string, StatRow>;
  initPid: number | undefined;
}

/** A vzlist column. */
export interface ListField {
  /** `-o` name (`hostname`, `numproc.l`). */
  name: string;
  header: string;
  /** printf-like width; negative = left aligned. */
  width: number;
  /**
   * Needs plugin stats (costs a read of kernel counters): `true` for any, or the
   * resource names it reads, so that plugins compute only those.
   */
  needsStats?: boolean | readonly string[];
  /** The value; undefined prints `-`. JSON gets the raw value. */
  get(row: ListRow): string | number | boolean | string[] | number[] | Record<string, unknown> | null | undefined;
  /** Text for the table when it differs from String(value). */
  text?(row: ListRow): string | undefined;
}

/** A verb or tool a plugin adds (`vzctl runscript`, `vzubc`). */
export interface CommandDecl {
  /** `vzctl` verb or a tool name. */
  tool: 'vzctl' | (string & {});
  name: string;
  summary: string;
  usage: string;
  run(api: CommandApi, argv: string[]): Promise<number>;
}

/** What a plugin command may use: the runtime's public operations and output. */
export interface CommandApi {
  readonly runtime: import('./runtime.js').Runtime;
  out(line: string): void;
  err(line: string): void;
  /**
   * Reads the command's standard input: to its end (`vzpid -`), or with `line` up to the
   * end of the first line (an answer to a prompt). Absent where there is none.
   */
  input?(opts?: { line?: boolean }): Promise<string>;
  /**
   * The command line that runs this tool again (`[node, script]`), for a tool that re-runs
   * itself under another program (`vzubc -w` under watch(1)); absent when not known.
   */
  readonly self?: readonly string[];
  /** Standard output is a terminal (colours, screen-oriented programs). */
  readonly terminal?: boolean;
}

/**
 * A switch of `vzctl set` that applies keys again from the VE's config to the running VE,
 * even unchanged, dropping values a `set` without --save put in force (`--reset_ub`: an
 * administrator edited the config file by hand). The keys' owners get them in `update`.
 */
export interface ReapplySwitch {
  /** The flag without dashes (`reset_ub`). */
  flag: string;
  description: string;
  /** Names of the keys it applies again (the declaring plugin's own). */
  keys: readonly string[];
}

/**
 * One of OpenVZ's per-VE features (`FEATURES="ppp:on nfs:off"`, `--features`) that a
 * plugin gives meaning to: the plugin that owns the subsystem declares it and reads the
 * setting in its hooks ({@link featureSetting}). The core refuses a feature no plugin
 * declares and asks `check` before a start or a change whether the setting can be had.
 */
export interface FeatureDecl {
  /** OpenVZ's name: `sysfs`, `nfs`, `sit`, `ipip`, `ppp`, `ipgre`, `bridge`, `nfsd`. */
  name: string;
  /** One line for `--help`: what `on` gives the VE here. */
  description: string;
  /**
   * Why this VE cannot have the feature `on` (or `off`) on this host, in one clause
   * (`the host kernel has no PPP driver`); undefined when it can. Runs with the
   * declaring plugin's context.
   */
  check?(ctx: HookContext, on: boolean): string | undefined | Promise<string | undefined>;
}

export interface Plugin<S = unknown, Slot = unknown> {
  /** Package name (`@vzkit/ns-uts`); also what others put in `requires`. */
  readonly name: string;
  readonly requires?: readonly string[];
  /**
   * Plugins whose hooks run before this one's when they are composed (a `requires` that
   * may be missing): quota's disk is mounted before ns-fs mounts the VE's root on it.
   */
  readonly after?: readonly string[];
  /** Plugins whose hooks run after this one's when they are composed. */
  readonly before?: readonly string[];
  /** Services this plugin offers to others; the registry refuses duplicates. */
  readonly provides?: ReadonlyArray<ServiceProvider<any>>;
  readonly configKeys?: readonly ConfigKey<any>[];
  /**
   * Keys of other plugins whose live changes this plugin's `update` receives too (the
   * guest's /etc/hosts follows HOSTNAME and IP_ADDRESS, which it does not own).
   */
  readonly watches?: readonly string[];
  readonly hooks: PluginHooks<S, Slot>;
  readonly listFields?: readonly ListField[];
  readonly commands?: readonly CommandDecl[];
  /** Switches it adds to `vzctl set` that apply its keys again from the config. */
  readonly reapply?: readonly ReapplySwitch[];
  /**
   * Sample configs (`create --config NAME`) the plugin ships. A file
   * `ve-NAME.conf-sample` in the config directory takes precedence, so administrators
   * can edit them as in OpenVZ.
   */
  readonly samples?: readonly SampleConfig[];
  /** The OpenVZ features (FEATURES) this plugin implements. */
  readonly features?: readonly FeatureDecl[];
}

export interface SampleConfig {
  /** `basic` for `--config basic`. */
  name: string;
  /** The file's text, `KEY="value"` lines and comments. */
  text: string;
}

/** Identity helper that keeps the plugin's state types. */
export function definePlugin<S = unknown, Slot = unknown>(p: Plugin<S, Slot>): Plugin<S, Slot> {
  return p;
}
