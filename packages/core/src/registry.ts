/**
 * Plugin registration, checked before any VE is touched (fastify's registerPlugin):
 * unique names, every `requires` present, no cycles, unique config keys and flags,
 * unique service tokens. Hooks run in the order plugin-order.ts derives from the
 * plugins' declarations; what the plugins show (flags in `--help`, vzlist fields,
 * commands) keeps the order the composition lists them in.
 */
import 'reflect-metadata';
import { container as rootContainer, instanceCachingFactory, type DependencyContainer } from 'tsyringe';
import { vzError } from './errors.js';
import { orderPlugins } from './plugin-order.js';
import type { ConfigKey, FeatureDecl, ListField, Plugin, ServiceResolver, ServiceToken, CommandDecl, ReapplySwitch } from './plugin.js';

/** Everything the plugins declared, indexed and checked for clashes. */
export class PluginRegistry implements ServiceResolver {
  readonly plugins: readonly Plugin<any, any>[];
  readonly keys = new Map<string, ConfigKey<any>>();
  /** Which plugin (or `core`) owns each key. */
  readonly keyOwner = new Map<string, string>();
  readonly flags = new Map<string, ConfigKey<any>>();
  readonly listFields = new Map<string, ListField>();
  readonly commands: CommandDecl[] = [];
  /** `vzctl set` switches that apply keys again from the config, by flag. */
  readonly reapply = new Map<string, ReapplySwitch>();
  /** Sample configs shipped by plugins, by name. */
  readonly samples = new Map<string, string>();
  /** OpenVZ features (FEATURES) the plugins implement, by name, with the plugin that declared each. */
  readonly features = new Map<string, { decl: FeatureDecl; plugin: Plugin<any, any> }>();
  readonly container: DependencyContainer;

  constructor(plugins: readonly Plugin<any, any>[], coreKeys: readonly ConfigKey<any>[], coreFields: readonly ListField[]) {
    this.plugins = orderPlugins(plugins);
    this.container = rootContainer.createChildContainer();
    for (const k of coreKeys) this.addKey(k, 'core');
    for (const f of coreFields) this.addField(f, 'core');
    const tokens = new Map<symbol, string>();
    for (const p of plugins) {
      for (const k of p.configKeys ?? []) this.addKey(k, p.name);
      for (const f of p.listFields ?? []) this.addField(f, p.name);
      for (const c of p.commands ?? []) {
        if (this.commands.some((x) => x.tool === c.tool && x.name === c.name)) {
          throw vzError('PLUGIN', `plugin ${p.name}: command ${c.tool} ${c.name} is already declared`);
        }
        this.commands.push(c);
      }
      for (const r of p.reapply ?? []) this.addReapply(r, p.name);
      for (const sample of p.samples ?? []) {
        if (this.samples.has(sample.name)) throw vzError('PLUGIN', `plugin ${p.name}: sample config ${sample.name} is already declared`);
        this.samples.set(sample.name, sample.text);
      }
      for (const decl of p.features ?? []) {
        const other = this.features.get(decl.name);
        if (other) throw vzError('PLUGIN', `plugin ${p.name}: feature ${decl.name} is already declared by ${other.plugin.name}`);
        this.features.set(decl.name, { decl, plugin: p });
      }
      for (const { token, create } of p.provides ?? []) {
        const other = tokens.get(token.id);
        if (other) throw vzError('PLUGIN', `plugin ${p.name}: service ${token.description} is already provided by ${other}`);
        tokens.set(token.id, p.name);
        // One instance per runtime, made on first use with what it asks of the container.
        this.container.register(token.id, { useFactory: instanceCachingFactory(() => create(this)) });
      }
    }
  }

  private addKey(k: ConfigKey<any>, owner: string): void {
    const prev = this.keyOwner.get(k.name);
    if (prev) throw vzError('PLUGIN', `config key ${k.name} is declared by both ${prev} and ${owner}`);
    this.keys.set(k.name, k);
    this.keyOwner.set(k.name, owner);
    for (const flag of [k.flag, ...(k.editFlags ?? []).map((e) => e.flag)]) {
      if (!flag) continue;
      const clash = this.flags.get(flag)?.name ?? (this.reapply.has(flag) ? `a --${flag} switch` : undefined);
      if (clash) throw vzError('PLUGIN', `flag --${flag} of ${k.name} (${owner}) is already used by ${clash}`);
      this.flags.set(flag, k);
    }
  }

  private addReapply(r: ReapplySwitch, owner: string): void {
    const clash = this.flags.get(r.flag)?.name ?? (this.reapply.has(r.flag) ? 'another switch' : undefined);
    if (clash) throw vzError('PLUGIN', `flag --${r.flag} of ${owner} is already used by ${clash}`);
    for (const k of r.keys) {
      if (this.keyOwner.get(k) !== owner) throw vzError('PLUGIN', `plugin ${owner}: --${r.flag} names ${k}, which is not its own key`);
    }
    this.reapply.set(r.flag, r);
  }

  private addField(f: ListField, owner: string): void {
    if (this.listFields.has(f.name)) throw vzError('PLUGIN', `vzlist field ${f.name} of ${owner} is already declared`);
    this.listFields.set(f.name, f);
  }

  /** Registers a value the core itself provides (the Host). */
  provideValue<T>(token: ServiceToken<T>, value: T): void {
    this.container.register(token.id, { useValue: value });
  }

  service<T>(token: ServiceToken<T>): T {
    if (!this.container.isRegistered(token.id)) throw vzError('PLUGIN', `no plugin provides the service ${token.description}`);
    return this.container.resolve<T>(token.id);
  }

  optionalService<T>(token: ServiceToken<T>): T | undefined {
    return this.container.isRegistered(token.id) ? this.container.resolve<T>(token.id) : undefined;
  }
}

/**
 * ContextRegistry: one entry per CTID holding each plugin's in-memory slot — the
 * "context-dependent counterpart" of the host's global state, passed explicitly to hooks.
 */
export class ContextRegistry {
  private readonly slots = new Map<number, Map<string, unknown>>();

  slot<T>(ctid: number, plugin: string): { get(): T | undefined; set(v: T): void } {
    let m = this.slots.get(ctid);
    if (!m) this.slots.set(ctid, (m = new Map()));
    const map = m;
    return { get: () => map.get(plugin) as T | undefined, set: (v: T) => void map.set(plugin, v) };
  }

  drop(ctid: number): void {
    this.slots.delete(ctid);
  }
}
