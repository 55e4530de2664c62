/**
 * What vzubc prints: the exact /proc/user_beancounters layout that scripts parse
 * (`--raw`), the friendlier vzubc table, and JSON.
 */
import { LONG_MAX_TEXT, type StatRow } from '@vzkit/core';
import { DUMMY_IDS, UBC_PARAMS } from './params.js';

export interface VeBeancounters {
  ctid: number;
  running: boolean;
  rows: StatRow[];
}

const RAW_HEADER = `${'uid'.padStart(10)}  ${'resource'.padEnd(12)} ${['held', 'maxheld', 'barrier', 'limit', 'failcnt'].map((h) => h.padStart(20)).join(' ')}`;

const rawNumber = (n: number | undefined) => (n === undefined ? '0' : Number.isFinite(n) ? String(n) : LONG_MAX_TEXT);

/**
 * /proc/user_beancounters, version 2.5: the CTID with a colon on a VE's first row only,
 * resources in kernel id order with the all-zero `dummy` rows, swappages last.
 * A counter the kernel does not keep prints 0; a missing maxheld prints held (the
 * highest value seen is at least that).
 */
export function renderRaw(ves: readonly VeBeancounters[]): string {
  const lines = ['Version: 2.5', RAW_HEADER];
  const ids = [...UBC_PARAMS.map((p) => ({ id: p.id, name: p.name })), ...DUMMY_IDS.map((id) => ({ id, name: 'dummy' }))]
    // swappages (24) goes after numiptent (23), i.e. id order already puts it last.
    .sort((a, b) => a.id - b.id);
  for (const ve of ves) {
    const byName = new Map(ve.rows.map((r) => [r.resource, r]));
    ids.forEach(({ name }, i) => {
      const r = name === 'dummy' ? undefined : byName.get(name);
      const held = name === 'dummy' ? 0 : r?.held;
      const values = name === 'dummy'
        ? ['0', '0', '0', '0', '0']
        : [rawNumber(held), rawNumber(r?.maxheld ?? held), rawNumber(r?.barrier), rawNumber(r?.limit), rawNumber(r?.failcnt)];
      const uid = i === 0 ? `${ve.ctid}:` : '';
      lines.push(`${uid.padStart(10)}  ${name.padEnd(12)} ${values.map((v) => v.padStart(20)).join(' ')}`);
    });
  }
  return lines.join('\n') + '\n';
}

/** Options of the friendly table (vzubc's own flags). */
export interface TableOptions {
  /** Also rows whose barrier and limit are both unlimited (`-v`). */
  verbose?: boolean;
  /** Only rows with failures or held/maxheld near the barrier (`-q`). */
  quiet?: boolean;
  /** -q thresholds: held/barrier (default 0.5) and maxheld/barrier (default 0.8). */
  heldRatio?: number;
  maxheldRatio?: number;
  pageSize?: number;
}

function human(n: number | undefined, unit: string, pageSize: number): string {
  if (n === undefined) return '?';
  if (!Number.isFinite(n) || n === 0) return '-';
  if (unit === 'items') return n < 100000 ? String(n) : `${(n / 1000).toFixed(0)}K`;
  let v = unit === 'pages' ? n * pageSize : n;
  for (const s of ['', 'K', 'M', 'G', 'T']) {
    if (v < 1024 || s === 'T') return s === '' ? String(v) : `${v < 10 ? v.toFixed(1) : v.toFixed(0)}${s}`;
    v /= 1024;
  }
  return String(v);
}

function percent(part: number | undefined, whole: number | undefined): string {
  if (part === undefined || whole === undefined || !Number.isFinite(whole) || whole <= 0) return '-';
  return `${Math.round((part / whole) * 100)}%`;
}

const unlimitedRow = (r: StatRow) => !Number.isFinite(r.barrier ?? Infinity) && !Number.isFinite(r.limit ?? Infinity);

/** vzubc's table: per VE, held and maxheld with their share of barrier and limit, in bytes. */
export function renderTable(ves: readonly VeBeancounters[], opts: TableOptions = {}): string {
  const ps = opts.pageSize ?? 4096;
  const qh = opts.heldRatio ?? 0.5;
  const qm = opts.maxheldRatio ?? 0.8;
  const row = (cells: string[]) => {
    const [res, h, hb, hl, m, mb, ml, b, l, f] = cells;
    return `${res!.padStart(13)}|${h!.padStart(5)} ${hb!.padStart(5)} ${hl!.padStart(5)}|${m!.padStart(5)} ${mb!.padStart(5)} ${ml!.padStart(5)}|${b!.padStart(5)}|${l!.padStart(5)}| ${f!.padStart(5)}`;
  };
  const rule = '-'.repeat(row(Array(10).fill('')).length);
  const out: string[] = [];
  for (const ve of ves) {
    const shown = ve.rows.filter((r) => {
      if (opts.quiet) {
        const b = r.barrier ?? Infinity;
        return (r.failcnt ?? 0) > 0 || (Number.isFinite(b) && b > 0 && ((r.held ?? 0) > b * qh || (r.maxheld ?? 0) > b * qm));
      }
      return opts.verbose || !unlimitedRow(r);
    });
    if (opts.quiet && shown.length === 0) continue;
    out.push(rule);
    out.push(row([`CT ${ve.ctid}`.padEnd(12), 'HELD', 'Bar%', 'Lim%', 'MAXH', 'Bar%', 'Lim%', 'BAR', 'LIM', 'FAIL']));
    out.push(rule);
    if (!ve.running) out.push(`${''.padStart(13)}  (not running: limits only)`);
    for (const r of shown) {
      const unit = String(r.extra?.['unit'] ?? 'items');
      out.push(row([
        r.resource,
        human(r.held, unit, ps), percent(r.held, r.barrier), percent(r.held, r.limit),
        human(r.maxheld, unit, ps), percent(r.maxheld, r.barrier), percent(r.maxheld, r.limit),
        human(r.barrier, unit, ps), human(r.limit, unit, ps),
        r.failcnt === undefined ? '?' : r.failcnt === 0 ? '-' : String(r.failcnt),
      ]));
    }
    if (!opts.verbose && !opts.quiet) {
      const hidden = ve.rows.length - shown.length;
      if (hidden > 0) out.push(`${''.padStart(13)}  (${hidden} unlimited not shown; -v shows them)`);
    }
    out.push(rule);
  }
  return out.length ? out.join('\n') + '\n' : '';
}

/** JSON: numbers in each row's unit, `"unlimited"` for no limit, null for what the kernel does not count. */
export function toJson(ves: readonly VeBeancounters[]): unknown {
  const lim = (n: number | undefined) => (n === undefined ? null : Number.isFinite(n) ? n : 'unlimited');
  return ves.map((ve) => ({
    ctid: ve.ctid,
    running: ve.running,
    beancounters: ve.rows.map((r) => ({
      resource: r.resource,
      held: r.held ?? null,
      maxheld: r.maxheld ?? null,
      barrier: lim(r.barrier),
      limit: lim(r.limit),
      failcnt: r.failcnt ?? null,
      unit: r.extra?.['unit'] ?? null,
      status: r.status ?? null,
      how: r.extra?.['how'] ?? null,
    })),
  }));
}
