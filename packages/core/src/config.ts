/**
 * A VE's effective config: the global vz.conf (defaults), the VE's own file, and pending
 * changes of a `set`, each value parsed by the declaration of the key that owns it.
 * Raw text stays available for keys no plugin owns; parse errors name CTID, file and key.
 */
import { ConfigFile } from './config-file.js';
import { vzError } from './errors.js';
import type { ConfigKey, ConfigView } from './plugin.js';
import { ValueError } from './values.js';

export interface ConfigLayers {
  global: ConfigFile;
  ve: ConfigFile;
  /** Pending raw values (CLI), over the file. `undefined` entry = key removed. */
  overrides?: Map<string, string | undefined>;
}

/**
 * Parses one raw value by its key, turning a ValueError into BAD_VALUE naming CTID and key.
 * `where` begins the message; `about` is the VE's label when `where` names a VE.
 */
export function parseKeyValue<T>(key: ConfigKey<T>, raw: string, where: string, about?: string): T {
  try {
    const v = key.type.parse(raw);
    const reason = key.check?.(v);
    if (reason) throw new ValueError(reason);
    return v;
  } catch (e) {
    if (e instanceof ValueError) {
      throw vzError(e.code ?? 'BAD_VALUE', `${where}: invalid value for ${key.name}${key.flag ? ` (--${key.flag})` : ''}: ${e.message}`, {
        cause: e, ...(e.exit !== undefined ? { exit: e.exit } : {}), ...(about ? { about } : {}),
      });
    }
    throw e;
  }
}

export class VeConfig implements ConfigView {
  private readonly cache = new Map<string, unknown>();

  constructor(
    readonly label: string,
    private readonly layers: ConfigLayers,
    private readonly keys: ReadonlyMap<string, ConfigKey<any>>,
    private readonly sources: { global: string; ve: string } = { global: 'vz.conf', ve: 'CT config' },
  ) {}

  raw(name: string): string | undefined {
    const o = this.layers.overrides;
    if (o?.has(name)) return o.get(name);
    return this.layers.ve.get(name) ?? this.layers.global.get(name);
  }

  private source(name: string): string {
    if (this.layers.overrides?.has(name)) return `${this.label}`;
    if (this.layers.ve.get(name) !== undefined) return `${this.label} (${this.sources.ve})`;
    return `${this.label} (${this.sources.global})`;
  }

  has(key: ConfigKey<unknown>): boolean {
    return this.raw(key.name) !== undefined;
  }

  get<T>(key: ConfigKey<T>): T | undefined {
    if (this.cache.has(key.name)) return this.cache.get(key.name) as T | undefined;
    const raw = this.raw(key.name);
    const v = raw === undefined || raw === '' ? key.default : parseKeyValue(key, raw, this.source(key.name), this.label);
    this.cache.set(key.name, v);
    return v;
  }

  /** Parses every owned key present, so a bad value fails the operation before anything is done. */
  validateAll(): void {
    for (const key of this.keys.values()) this.get(key);
  }

  /** The same layers with more pending changes on top. */
  withOverrides(overrides: Map<string, string | undefined>): VeConfig {
    const merged = new Map(this.layers.overrides ?? []);
    for (const [k, v] of overrides) merged.set(k, v);
    return new VeConfig(this.label, { ...this.layers, overrides: merged }, this.keys, this.sources);
  }

  /** The files alone (vz.conf and the VE's), without pending or unsaved changes. */
  withoutOverrides(): VeConfig {
    return new VeConfig(this.label, { global: this.layers.global, ve: this.layers.ve }, this.keys, this.sources);
  }

  /** Just the VE file's layer (for saving). */
  get veFile(): ConfigFile {
    return this.layers.ve;
  }
}
