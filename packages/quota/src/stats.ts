/**
 * The quota's `stats` rows — `diskspace` (1 KiB blocks) and `diskinodes` — with usage,
 * soft limit as the barrier, hard limit as the limit, and how each is held: whether the
 * soft limit turns hard after QUOTATIME (`soft`), the grace deadline while usage is above
 * it (`graceEnds`, the kernel's or vzkit's clock, grace.ts) and whether the soft limit
 * holds as hard now (`held`).
 */
import type { StatRow } from '@vzkit/core';
import type { BackendName, BackendTraits, QuotaUsage } from './backend.js';
import type { QuotaLimits, SoftHard } from './config.js';

/** Asked for in `want` by `vzquota show`: read usage of a stopped VE too (costs a program run). */
export const OFFLINE_USAGE = 'quota-offline';
export const QUOTA_RESOURCES = ['diskspace', 'diskinodes'] as const;

export interface RowInput {
  limits: QuotaLimits;
  backend: BackendName | undefined;
  traits: BackendTraits | undefined;
  usage: QuotaUsage | undefined;
  /** Epoch seconds when each grace period ends (kernel's or tracked); absent: not over soft. */
  graceEnds: { diskspace?: number; diskinodes?: number };
  /** Whether the limits hold right now (an image only while it is mounted). */
  on?: boolean;
  /** The space soft limit holds as the hard one (its grace period is over). */
  held?: boolean;
}

function row(resource: 'diskspace' | 'diskinodes', limit: SoftHard | undefined, held: number | undefined, enforcedLimit: number | undefined, input: RowInput): StatRow {
  const { traits } = input;
  const holds = resource === 'diskspace' || traits?.inodes === true;
  const extra: Record<string, number | string> = {};
  if (input.backend) extra['backend'] = input.backend;
  if (traits) {
    extra['backendTitle'] = traits.title;
    extra['soft'] = (resource === 'diskspace' ? traits.soft : traits.inodes && traits.softInodes) ? 'enforced' : 'reported';
  }
  if (input.on !== undefined) extra['on'] = input.on ? 'yes' : 'no';
  if (resource === 'diskspace' && input.held) extra['held'] = 'soft';
  const ends = input.graceEnds[resource];
  if (ends !== undefined) extra['graceEnds'] = ends;
  if (limit && enforcedLimit !== undefined && enforcedLimit !== limit.hard) extra['enforcedLimit'] = enforcedLimit;
  return {
    resource,
    ...(held !== undefined ? { held } : {}),
    ...(limit ? { barrier: limit.soft, limit: limit.hard } : enforcedLimit !== undefined ? { limit: enforcedLimit } : {}),
    ...(traits ? { status: holds ? 'enforced' : 'unsupported' } : {}),
    extra,
  };
}

export function quotaRows(input: RowInput): StatRow[] {
  const u = input.usage;
  return [
    row('diskspace', input.limits.space, u?.spaceUsed, u?.spaceLimit, input),
    row('diskinodes', input.limits.inodes, u?.inodesUsed, u?.inodesLimit, input),
  ];
}
