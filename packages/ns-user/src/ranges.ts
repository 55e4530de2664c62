/**
 * Id ranges and the search for a free one. A range is half open, [base, base + count).
 * `auto` ranges are packed from {@link FIRST_AUTO_BASE} upwards, each right after what
 * is taken (100000, 165536, 231072, ... on a host with nothing else there), the way
 * useradd hands out /etc/subuid ranges.
 */
import { MAX_ID_BASE } from './config.js';

export interface IdRange {
  base: number;
  count: number;
}

/** Where automatic ranges begin: login.defs' SUB_UID_MIN, above every ordinary account. */
export const FIRST_AUTO_BASE = 100000;

export function overlaps(a: IdRange, b: IdRange): boolean {
  return a.base < b.base + b.count && b.base < a.base + a.count;
}

/**
 * The lowest base at or above `from` (and at most `maxBase`) whose `size` ids meet none
 * of `taken`; undefined when none is left.
 */
export function firstFree(taken: readonly IdRange[], size: number, from = FIRST_AUTO_BASE, maxBase = MAX_ID_BASE): number | undefined {
  let cursor = from;
  for (const t of [...taken].filter((r) => r.count > 0).sort((a, b) => a.base - b.base)) {
    if (t.base + t.count <= cursor) continue;
    if (t.base >= cursor + size) break;
    cursor = t.base + t.count;
    if (cursor > maxBase) return undefined;
  }
  return cursor <= maxBase ? cursor : undefined;
}
