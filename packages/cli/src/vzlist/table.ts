/**
 * vzlist's output from the runtime's list fields, laid out as src/vzlist.c does: each
 * field printed at its width (negative = left aligned), one space between columns,
 * trailing spaces trimmed, a missing value as `-`. Values that are lists show their first
 * item unless the column is last (or -t); left-aligned text is cut to its width unless
 * last (or -t). JSON gets the raw values, missing ones as null.
 */
import type { ListField, ListRow } from '@vzkit/core';

export const DEFAULT_FIELDS = ['ctid', 'numproc', 'status', 'ip', 'hostname'] as const;
/** `-n`: the name instead of the CTID when the VE has one. */
export const SMART_NAME_FIELDS = ['smart_name', 'numproc', 'status', 'ip', 'hostname'] as const;

/** OpenVZ's headers and widths of the default columns. */
const DEFAULT_LAYOUT: Record<string, { header: string; width: number }> = {
  ctid: { header: 'CTID', width: 10 },
  smart_name: { header: 'SMARTNAME', width: 10 },
  numproc: { header: 'NPROC', width: 10 },
  status: { header: 'STATUS', width: -9 },
  ip: { header: 'IP_ADDR', width: -15 },
  hostname: { header: 'HOSTNAME', width: -32 },
};

/**
 * A default column that no plugin of this composition provides (IP_ADDR before ns-net):
 * kept in the layout with `-` in every row, so the default table keeps OpenVZ's shape.
 */
export function placeholderField(name: string): ListField | undefined {
  const l = DEFAULT_LAYOUT[name];
  return l && { name, header: l.header, width: l.width, get: () => undefined };
}

type Value = ReturnType<ListField['get']>;

function cellText(field: ListField, row: ListRow, v: Value, whole: boolean): string {
  if (v === undefined || v === null) return '-';
  const t = field.text?.(row);
  if (t !== undefined) return t;
  if (Array.isArray(v)) {
    if (v.length === 0) return '-';
    return whole ? v.map(String).join(' ') : String(v[0]);
  }
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function pad(text: string, width: number): string {
  return width < 0 ? text.padEnd(-width) : text.padStart(width);
}

export interface TableOptions {
  header: boolean;
  /** -t: print whole values in every column. */
  noTrim: boolean;
}

export function tableLines(fields: readonly ListField[], rows: readonly ListRow[], opts: TableOptions): string[] {
  const lines: string[] = [];
  const lastIdx = fields.length - 1;
  if (opts.header) lines.push(fields.map((f) => pad(f.header, f.width)).join(' ').trimEnd());
  for (const row of rows) {
    const cells = fields.map((f, i) => {
      const last = i === lastIdx;
      let s = cellText(f, row, f.get(row), last || opts.noTrim);
      if (!last && !opts.noTrim && f.width < 0 && s.length > -f.width) s = s.slice(0, -f.width);
      return pad(s, f.width);
    });
    lines.push(cells.join(' ').trimEnd());
  }
  return lines;
}

/** `[ { "ctid": 101, ... }, ... ]`; a value a field cannot give is null. */
export function jsonText(fields: readonly ListField[], rows: readonly ListRow[]): string {
  const objects = rows.map((row) => Object.fromEntries(fields.map((f) => [f.name, f.get(row) ?? null])));
  return JSON.stringify(objects, null, 2);
}

/** JSON without -o: every base field (no `.m`-style suffix), one per header (ctid, not its veid alias). */
export function jsonDefaultFields(all: readonly ListField[]): ListField[] {
  const headers = new Set<string>();
  return all.filter((f) => {
    if (f.name.includes('.') || headers.has(f.header)) return false;
    headers.add(f.header);
    return true;
  });
}

function sortKey(v: Value): number | string | undefined {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) return v.length ? sortKey(v[0] as Value) : undefined;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number' || typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** Sorts by one field (missing values first when ascending); equal keys keep CTID order. */
export function sortRows(rows: readonly ListRow[], field: ListField, descending: boolean): ListRow[] {
  const keyed = rows.map((row) => ({ row, key: sortKey(field.get(row)) }));
  keyed.sort((a, b) => {
    let c: number;
    if (a.key === b.key) c = 0;
    else if (a.key === undefined) c = -1;
    else if (b.key === undefined) c = 1;
    else if (typeof a.key === 'number' && typeof b.key === 'number') c = a.key - b.key;
    else c = String(a.key) < String(b.key) ? -1 : 1;
    return descending ? -c : c;
  });
  return keyed.map((k) => k.row);
}
