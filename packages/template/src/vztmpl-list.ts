/** `vztmpl list`'s table: one line per template, sizes as `du -h` prints them. */
import type { TemplateInfo } from './layout.js';

/** `163M`, like `du -h`. */
export function humanSize(bytes: number): string {
  const units = ['', 'K', 'M', 'G', 'T'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v}` : `${v < 10 ? v.toFixed(1) : Math.round(v)}${units[u]}`;
}

/** A row of `vztmpl list`: a template here, or (with -a) one vzkit can make or has cached. */
export interface TemplateRow extends Omit<TemplateInfo, 'path'> {
  /** The tree; for a cached one, its tarball. */
  path: string | undefined;
  /** `ready`: unpacked here; `cached`: in the machine cache; `buildable`: vzkit can build it. */
  status: 'ready' | 'cached' | 'buildable';
}

/** `2025-12-01 16:20` (UTC) from an ISO time. */
function shortTime(iso: string | undefined): string {
  return iso && !Number.isNaN(Date.parse(iso)) ? new Date(iso).toISOString().slice(0, 16).replace('T', ' ') : '-';
}

function sourceText(r: TemplateRow): string {
  if (r.status === 'cached') return `(in the machine cache: ${r.path})`;
  if (r.status === 'buildable') return '(built on first use)';
  return r.source ?? '-';
}

export function renderTemplateList(rows: readonly TemplateRow[]): string[] {
  const cells = rows.map((r) => [r.name, r.size === undefined ? '-' : humanSize(r.size), shortTime(r.created), sourceText(r)]);
  const all = [['NAME', 'SIZE', 'CREATED', 'SOURCE'], ...cells];
  const width = [0, 1, 2].map((i) => Math.max(...all.map((c) => c[i]!.length)));
  return all.map((c) => [c[0]!.padEnd(width[0]!), c[1]!.padStart(width[1]!), c[2]!.padEnd(width[2]!), c[3]].join('  ').trimEnd());
}
