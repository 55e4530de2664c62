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
  /** `-r`: the fail counters are deltas since the last run; the header says `+FAIL`. */
  relative?: boolean;
  /** `-i`: the change of held since the last run, per VE and resource (a `+/-` column). */
  heldDelta?: (ctid: number, resource: string) => number | undefined;
  /** `-c`: ANSI colours, red for failures and held over the barrier, yellow near it. */
  color?: boolean;
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

/** vzubc's colours (bin/vzubc.in): header, failure, warning, normal. */
const COLOR = { header: '\x1b[1;32m', error: '\x1b[1;31m', warning: '\x1b[1;33m', normal: '\x1b[0;39m' };

/**
 * How much a row needs attention, as vzubc ranks it: 2 when it failed or holds more than
 * its barrier (the limit when the barrier is 0), 1 when held or maxheld passes the
 * quiet thresholds, else 0.
 */
export function importance(r: StatRow, heldRatio = 0.5, maxheldRatio = 0.8): 0 | 1 | 2 {
  if ((r.failcnt ?? 0) > 0) return 2;
  const b = r.barrier === 0 ? r.limit : r.barrier;
  if (b === undefined || !Number.isFinite(b) || b <= 0) return 0;
  if ((r.held ?? 0) > b) return 2;
  return (r.held ?? 0) > b * heldRatio || (r.maxheld ?? 0) > b * maxheldRatio ? 1 : 0;
}

/** `+12K`, `-3`: a change of held in the row's unit; blank when there is none. */
function signed(delta: number | undefined, unit: string, pageSize: number): string {
  if (delta === undefined || delta === 0) return '';
  return `${delta > 0 ? '+' : '-'}${human(Math.abs(delta), unit, pageSize)}`;
}

/**
 * FAIL as vzubc prints it: the count, or `-` when there is none to show — no refusal, or
 * a counter this kernel does not keep (numfile, swappages on a v1 kernel since 6.13);
 * JSON tells the two apart (0 or null).
 */
function failText(r: StatRow): string {
  return r.failcnt === undefined || r.failcnt === 0 ? '-' : String(r.failcnt);
}

/** vzubc's table: per VE, held and maxheld with their share of barrier and limit, in bytes. */
export function renderTable(ves: readonly VeBeancounters[], opts: TableOptions = {}): string {
  const ps = opts.pageSize ?? 4096;
  const qh = opts.heldRatio ?? 0.5;
  const qm = opts.maxheldRatio ?? 0.8;
  const inc = opts.heldDelta !== undefined;
  const paint = (color: string, text: string) => (opts.color ? `${color}${text}${COLOR.normal}` : text);
  const row = (cells: string[], delta = '') => {
    const [res, h, hb, hl, m, mb, ml, b, l, f] = cells;
    const d = inc ? delta.padStart(7) : '';
    return `${res!.padStart(13)}|${h!.padStart(5)}${d} ${hb!.padStart(5)} ${hl!.padStart(5)}|${m!.padStart(5)} ${mb!.padStart(5)} ${ml!.padStart(5)}|${b!.padStart(5)}|${l!.padStart(5)}| ${f!.padStart(5)}`;
  };
  const rule = '-'.repeat(row(Array(10).fill('')).length);
  const out: string[] = [];
  for (const ve of ves) {
    const delta = (r: StatRow) => opts.heldDelta?.(ve.ctid, r.resource);
    const shown = ve.rows.filter((r) => {
      if (inc && (delta(r) ?? 0) !== 0) return true;
      if (opts.quiet) return importance(r, qh, qm) > 0;
      return opts.verbose || !unlimitedRow(r);
    });
    if (opts.quiet && shown.length === 0) continue;
    out.push(paint(COLOR.header, rule));
    out.push(paint(COLOR.header, row([`CT ${ve.ctid}`.padEnd(12), 'HELD', 'Bar%', 'Lim%', 'MAXH', 'Bar%', 'Lim%', 'BAR', 'LIM', opts.relative ? '+FAIL' : 'FAIL'], '+/-  ')));
    out.push(paint(COLOR.header, rule));
    if (!ve.running) out.push(`${''.padStart(13)}  (not running: limits only)`);
    for (const r of shown) {
      const unit = String(r.extra?.['unit'] ?? 'items');
      const line = row([
        r.resource,
        human(r.held, unit, ps), percent(r.held, r.barrier), percent(r.held, r.limit),
        human(r.maxheld, unit, ps), percent(r.maxheld, r.barrier), percent(r.maxheld, r.limit),
        human(r.barrier, unit, ps), human(r.limit, unit, ps),
        failText(r),
      ], signed(delta(r), unit, ps));
      const level = importance(r, qh, qm);
      out.push(level === 2 ? paint(COLOR.error, line) : level === 1 ? paint(COLOR.warning, line) : line);
    }
    if (!opts.verbose && !opts.quiet) {
      const hidden = ve.rows.length - shown.length;
      if (hidden > 0) out.push(`${''.padStart(13)}  (${hidden} unlimited not shown; -v shows them)`);
    }
    out.push(paint(COLOR.header, rule));
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
