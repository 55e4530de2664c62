/**
 * `vzquota stat|show` output: vzquota's own table (src/stat.c: a `*` after usage over a
 * limit, grace left as `NNdays` or `HH:MM`, `none` once it ran out), then which backend
 * holds the limits; and the same as JSON.
 */
import type { StatRow } from '@vzkit/core';

const pad = (s: string | number, n: number) => String(s).padStart(n);

/** vzquota's time2str(TF_ROUND) of the time left; blank when not over soft, `none` when over. */
export function graceText(ends: number | undefined, now: number): string {
  if (ends === undefined) return '';
  if (ends <= now) return 'none';
  const minutes = Math.floor((ends - now + 30) / 60);
  const hours = Math.floor(minutes / 60);
  const days = Math.floor(hours / 24);
  if (days >= 2) return `${days}days`;
  return `${String(hours).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

function over(r: StatRow): boolean {
  const held = r.held ?? 0;
  return (r.barrier !== undefined && r.barrier > 0 && held > r.barrier) || (r.limit !== undefined && r.limit > 0 && held > r.limit);
}

function line(name: string, r: StatRow | undefined, now: number): string {
  const ends = typeof r?.extra?.['graceEnds'] === 'number' ? (r.extra['graceEnds'] as number) : undefined;
  return `${pad(name, 11)} ${pad(r?.held ?? 0, 14)}${r && over(r) ? '*' : ' '} ${pad(r?.barrier ?? 0, 14)} ${pad(r?.limit ?? 0, 14)} ${pad(graceText(ends, now), 8)}`;
}

export interface QuotaReport {
  ctid: number;
  space: StatRow | undefined;
  inodes: StatRow | undefined;
  /** `VE_PRIVATE/quota.json`'s backend; undefined: the VE has no quota. */
  backend: string | undefined;
}

export function renderTable(r: QuotaReport, now: number): string[] {
  const lines = [
    `${pad('resource', 11)} ${pad('usage', 14)}  ${pad('softlimit', 14)} ${pad('hardlimit', 14)} ${pad('grace', 8)}`,
    line('1k-blocks', r.space, now),
    line('inodes', r.inodes, now),
  ];
  if (r.backend) {
    const notes: string[] = [];
    const softBelow = (row: StatRow | undefined) => row?.barrier !== undefined && row.limit !== undefined && row.barrier < row.limit;
    if (r.space?.extra?.['held'] === 'soft') notes.push('the grace period is over: the soft limit holds as the hard one');
    if (softBelow(r.space) && r.space?.extra?.['soft'] === 'reported') notes.push('space soft limit reported, not enforced');
    if (softBelow(r.inodes) && r.inodes?.extra?.['soft'] === 'reported' && r.inodes.status !== 'unsupported') notes.push('inode soft limit reported, not enforced');
    if (r.inodes?.status === 'unsupported') notes.push('no inode limit');
    if (typeof r.inodes?.extra?.['enforcedLimit'] === 'number') notes.push(`the filesystem holds ${r.inodes.extra['enforcedLimit']} inodes`);
    const title = r.space?.extra?.['backendTitle'] ?? r.backend;
    lines.push(`backend: ${title}${notes.length ? ` (${notes.join('; ')})` : ''}`);
  }
  return lines;
}

function part(row: StatRow | undefined, now: number): Record<string, unknown> {
  const ends = typeof row?.extra?.['graceEnds'] === 'number' ? (row.extra['graceEnds'] as number) : undefined;
  return {
    usage: row?.held ?? null,
    softlimit: row?.barrier ?? null,
    hardlimit: row?.limit ?? null,
    grace: ends === undefined ? null : Math.max(0, ends - now),
    status: row?.status ?? null,
    soft: row?.extra?.['soft'] ?? null,
    held: row?.extra?.['held'] === 'soft',
    ...(typeof row?.extra?.['enforcedLimit'] === 'number' ? { enforcedLimit: row.extra['enforcedLimit'] } : {}),
  };
}

export function toJson(r: QuotaReport, now: number): Record<string, unknown> {
  return { ctid: r.ctid, backend: r.backend ?? null, diskspace: part(r.space, now), diskinodes: part(r.inodes, now) };
}
