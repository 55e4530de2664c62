/**
 * Value types of config keys: how a raw `KEY="value"` string (or a CLI argument) is
 * parsed into a typed value and written back. OpenVZ's syntax: numbers, `unlimited`,
 * `barrier:limit` pairs, K/M/G/T suffixes (1024-based), P for pages, yes/no, lists.
 */

/** Thrown by a parser; the config layer turns it into BAD_VALUE naming the CTID and key. */
export class ValueError extends Error {
  /**
   * The error code the refusal is reported with (a plugin's `BAD_IP` with its exit 71);
   * the default is BAD_VALUE (21).
   */
  readonly code: string | undefined;
  /** The exit number of a code outside the core's table. */
  readonly exit: number | undefined;
  constructor(reason: string, opts: { code?: string; exit?: number } = {}) {
    super(reason);
    this.name = 'ValueError';
    this.code = opts.code;
    this.exit = opts.exit;
  }
}

export interface ValueType<T> {
  /** Short name shown in `--help` (`N`, `yes|no`, `B[:L]`, `SIZE`). */
  readonly arg: string;
  parse(raw: string): T;
  format(value: T): string;
}

/** OpenVZ's `unlimited`: LONG_MAX on 64-bit. vzkit holds it as Infinity. */
export const UNLIMITED = Number.POSITIVE_INFINITY;
export const LONG_MAX_TEXT = '9223372036854775807';
export const PAGE_SIZE = 4096;

export function integer(opts: { min?: number; max?: number; unlimited?: boolean } = {}): ValueType<number> {
  const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = opts;
  return {
    arg: opts.unlimited ? 'N|unlimited' : 'N',
    parse(raw) {
      const s = raw.trim();
      if (opts.unlimited && (s === 'unlimited' || s === LONG_MAX_TEXT)) return UNLIMITED;
      if (!/^-?\d+$/.test(s)) throw new ValueError(`'${raw}' is not a whole number`);
      const n = Number(s);
      if (n < min || n > max) throw new ValueError(`${s} is out of range ${min}..${max}`);
      return n;
    },
    format: (v) => (v === UNLIMITED ? 'unlimited' : String(v)),
  };
}

export const yesNo: ValueType<boolean> = {
  arg: 'yes|no',
  parse(raw) {
    const s = raw.trim().toLowerCase();
    if (s === 'yes' || s === 'on' || s === 'true') return true;
    if (s === 'no' || s === 'off' || s === 'false') return false;
    throw new ValueError(`'${raw}' is not yes or no`);
  },
  format: (v) => (v ? 'yes' : 'no'),
};

export function text(opts: { pattern?: RegExp; what?: string; maxLength?: number; arg?: string } = {}): ValueType<string> {
  return {
    arg: opts.arg ?? 'STRING',
    parse(raw) {
      if (opts.maxLength !== undefined && raw.length > opts.maxLength) {
        throw new ValueError(`'${raw}' is longer than ${opts.maxLength} characters`);
      }
      if (opts.pattern && !opts.pattern.test(raw)) {
        throw new ValueError(`'${raw}' is not a valid ${opts.what ?? 'value'}`);
      }
      if (/[\n\0"]/.test(raw)) throw new ValueError(`'${raw}' contains a newline, NUL or double quote`);
      return raw;
    },
    format: (v) => v,
  };
}

export function oneOf<const V extends string>(values: readonly V[]): ValueType<V> {
  return {
    arg: values.join('|'),
    parse(raw) {
      const s = raw.trim();
      if (!(values as readonly string[]).includes(s)) throw new ValueError(`'${raw}' is not one of ${values.join(', ')}`);
      return s as V;
    },
    format: (v) => v,
  };
}

/** Space-separated list in one quoted string (IP_ADDRESS, NAMESERVER, CAPABILITY ...). */
export function list<T>(item: ValueType<T>): ValueType<T[]> {
  return {
    arg: `"${item.arg} ..."`,
    parse: (raw) => raw.split(/\s+/).filter(Boolean).map((s) => item.parse(s)),
    format: (v) => v.map((x) => item.format(x)).join(' '),
  };
}

/** The unit a size is counted in once parsed. */
export type SizeUnit = 'bytes' | 'pages' | 'kb' | 'items';

const SUFFIX_BYTES: Record<string, number> = { K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4, B: 1 };

/**
 * Parses one size: `123`, `2.5G`, `256M`, `100P` (pages), `unlimited`. No suffix means the
 * unit itself (bytes, pages, 1K blocks); `items` accept no suffix at all (vzctl does the same).
 */
export function parseSize(raw: string, unit: SizeUnit): number {
  const s = raw.trim();
  if (s === 'unlimited' || s === LONG_MAX_TEXT) return UNLIMITED;
  const m = /^(\d+(?:\.\d+)?)([KMGTPB]?)$/i.exec(s);
  if (!m) throw new ValueError(`'${raw}' is not a number with an optional K, M, G, T, P or B suffix`);
  const num = Number(m[1]);
  const suffix = (m[2] ?? '').toUpperCase();
  if (suffix === '') {
    if (!Number.isInteger(num)) throw new ValueError(`'${raw}' needs a suffix to be fractional`);
    return num;
  }
  if (unit === 'items') throw new ValueError(`'${raw}': this value counts items and takes no suffix`);
  const bytes = suffix === 'P' ? num * PAGE_SIZE : num * (SUFFIX_BYTES[suffix] ?? 1);
  const perUnit = unit === 'bytes' ? 1 : unit === 'pages' ? PAGE_SIZE : 1024;
  const v = Math.floor(bytes / perUnit);
  return v >= 2 ** 63 ? UNLIMITED : v;
}

export function formatSize(v: number): string {
  return v === UNLIMITED ? 'unlimited' : String(v);
}

export function size(unit: SizeUnit): ValueType<number> {
  return { arg: unit === 'items' ? 'N' : 'SIZE', parse: (raw) => parseSize(raw, unit), format: formatSize };
}

export interface BarrierLimit {
  barrier: number;
  limit: number;
}

/** `barrier[:limit]` — one value sets both (OpenVZ). The barrier may not exceed the limit. */
export function barrierLimit(unit: SizeUnit): ValueType<BarrierLimit> {
  return {
    arg: 'B[:L]',
    parse(raw) {
      const parts = raw.trim().split(':');
      if (parts.length > 2 || parts.some((p) => p === '')) throw new ValueError(`'${raw}' is not barrier[:limit]`);
      const barrier = parseSize(parts[0]!, unit);
      const limit = parts.length === 2 ? parseSize(parts[1]!, unit) : barrier;
      if (barrier > limit) throw new ValueError(`barrier ${formatSize(barrier)} is above limit ${formatSize(limit)}`);
      return { barrier, limit };
    },
    format: (v) => (v.barrier === v.limit ? formatSize(v.barrier) : `${formatSize(v.barrier)}:${formatSize(v.limit)}`),
  };
}
