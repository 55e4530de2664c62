/**
 * Soft limits past their grace period, where the kernel keeps no grace (image, btrfs).
 * vzkit keeps the clock: it starts when vzkit first sees usage above a soft limit and
 * stops when usage is back under it, kept in VE_PRIVATE/quota.grace.json so that a
 * restart does not reset it. Once QUOTATIME has passed with usage still above, the soft
 * limit becomes the hard one — the backend holds the space at it (image: ext4's reserved
 * clusters; btrfs: the qgroup limit), so nothing more can be written until usage is back
 * under the soft limit; the next look after that gives the hard limit back.
 *
 * vzkit runs no daemon, so "sees" means: at start, at every `vzctl set` of the quota,
 * `vzquota stat|show`, vzlist with a quota column, and any other reader of the quota's
 * stats. The file is written without the VE's lock (vzlist takes none): whole, under
 * another name, then renamed; the last writer wins, and every writer works from the
 * usage it just read.
 */
import { join } from 'node:path';
import type { Host } from '@vzkit/core';
import type { QuotaUsage } from './backend.js';
import type { QuotaLimits } from './config.js';

export const GRACE_FILE = 'quota.grace.json';

type Resource = 'diskspace' | 'diskinodes';

/** One soft limit's clock: since when usage has been above it, and whether it is held as hard. */
export interface GraceClock {
  since: number;
  held?: boolean;
}

export type GraceRecord = Partial<Record<Resource, GraceClock>>;

export function gracePath(priv: string): string {
  return join(priv, GRACE_FILE);
}

export async function readGrace(host: Host, priv: string): Promise<GraceRecord> {
  try {
    const g = JSON.parse(await host.fs.readFile(gracePath(priv))) as GraceRecord;
    return g && typeof g === 'object' ? g : {};
  } catch {
    // None yet, or torn: the clocks start again, as a fresh look would start them.
    return {};
  }
}

export async function writeGrace(host: Host, priv: string, g: GraceRecord): Promise<void> {
  const path = gracePath(priv);
  if (Object.keys(g).length === 0) {
    if (await host.fs.exists(path)) await host.fs.remove(path);
    return;
  }
  const tmp = `${path}.${process.pid}`;
  await host.fs.writeFile(tmp, `${JSON.stringify(g)}\n`, { mode: 0o600 });
  await host.fs.rename(tmp, path);
}

export async function removeGrace(host: Host, priv: string): Promise<void> {
  await writeGrace(host, priv, {});
}

/** What one look at the usage decides. */
export interface GraceTick {
  next: GraceRecord;
  /** Epoch seconds when each running grace period ends (or ended). */
  ends: Partial<Record<Resource, number>>;
}

/**
 * One look: a clock starts when usage is first seen above a soft limit below the hard
 * one, stops when it is back at or under it; the space clock past QUOTATIME marks the
 * soft limit held (where `canHold`). Pure: the caller applies and writes.
 */
export function tick(g: GraceRecord, limits: QuotaLimits, usage: QuotaUsage, now: number, canHold: boolean): GraceTick {
  const next: GraceRecord = {};
  const ends: GraceTick['ends'] = {};
  const used: Record<Resource, number | undefined> = { diskspace: usage.spaceUsed, diskinodes: usage.inodesUsed };
  const limit = { diskspace: limits.space, diskinodes: limits.inodes };
  for (const r of ['diskspace', 'diskinodes'] as const) {
    const l = limit[r];
    const u = used[r];
    if (!l || u === undefined || l.soft >= l.hard || u <= l.soft) continue;
    const since = g[r]?.since ?? now;
    ends[r] = since + limits.grace;
    const held = r === 'diskspace' && canHold && now >= since + limits.grace;
    next[r] = held ? { since, held } : { since };
  }
  return { next, ends };
}

/** The limits the backend holds while the space soft limit is held: the soft one as hard. */
export function heldSoft(limits: QuotaLimits, g: GraceRecord): number | undefined {
  return limits.space && g.diskspace?.held ? limits.space.soft : undefined;
}
