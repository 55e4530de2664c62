/**
 * The quota's `stats` rows — `diskspace` (1 KiB blocks) and `diskinodes` — with usage,
 * soft limit as the barrier, hard limit as the limit, and how each is held. Where the
 * kernel keeps no grace time (image, btrfs), the time the soft limit was first seen
 * passed is kept in a scratch file of the running VE, so `vzquota stat` can show the
 * grace left; such soft limits are reported, never enforced.
 */
import type { ScratchStore, StatRow } from '@vzkit/core';
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
}

function row(resource: 'diskspace' | 'diskinodes', limit: SoftHard | undefined, held: number | undefined, enforcedLimit: number | undefined, input: RowInput): StatRow {
  const { traits } = input;
  const holds = resource === 'diskspace' || traits?.inodes === true;
  const extra: Record<string, number | string> = {};
  if (input.backend) extra['backend'] = input.backend;
  if (traits) {
    extra['backendTitle'] = traits.title;
    extra['soft'] = traits.soft && holds ? 'enforced' : 'reported';
  }
  if (input.on !== undefined) extra['on'] = input.on ? 'yes' : 'no';
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

type Since = Partial<Record<'diskspace' | 'diskinodes', number>>;

/**
 * Grace deadlines where the backend keeps none: from the first time vzkit saw usage over
 * the soft limit during this run of the VE (gone with the scratch file at stop).
 */
export async function trackedGrace(scratch: ScratchStore, limits: QuotaLimits, usage: QuotaUsage, now: number): Promise<RowInput['graceEnds']> {
  let since: Since = {};
  try {
    since = JSON.parse((await scratch.read('soft.json')) ?? '{}') as Since;
  } catch {
    // A torn file: start counting again.
  }
  const next: Since = {};
  const over = { diskspace: limits.space && usage.spaceUsed > limits.space.soft, diskinodes: limits.inodes && usage.inodesUsed !== undefined && usage.inodesUsed > limits.inodes.soft };
  for (const r of QUOTA_RESOURCES) if (over[r]) next[r] = since[r] ?? now;
  if (JSON.stringify(next) !== JSON.stringify(since)) await scratch.write('soft.json', JSON.stringify(next));
  const ends: RowInput['graceEnds'] = {};
  for (const r of QUOTA_RESOURCES) if (next[r] !== undefined) ends[r] = next[r]! + limits.grace;
  return ends;
}
