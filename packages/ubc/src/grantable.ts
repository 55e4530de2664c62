/**
 * What vzctl itself may hand out. Raising a hard rlimit needs CAP_SYS_RESOURCE; a host
 * that runs vzctl without it (some sandboxes and CI runners) can grant a VE at most
 * vzctl's own hard limits. Asking for more would fail the start, so such limits are
 * lowered to what can be granted, and the administrator is told.
 */
import type { HostFs } from '@vzkit/core';
import type { RlimitPlan } from './plan.js';

const NAMES: Record<string, RlimitPlan['resource']> = {
  'Max open files': 'NOFILE',
  'Max locked memory': 'MEMLOCK',
  'Max pending signals': 'SIGPENDING',
};

const CAP_SYS_RESOURCE = 24n;

/** Hard limits of /proc/PID/limits by resource (Infinity for `unlimited`). */
export function parseHardLimits(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n').slice(1)) {
    const cols = line.trim().split(/\s{2,}/);
    const res = NAMES[cols[0] ?? ''];
    if (res && cols[2] !== undefined) out.set(res, cols[2] === 'unlimited' ? Infinity : Number(cols[2]));
  }
  return out;
}

export function hasCap(status: string, cap: bigint): boolean {
  const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  return hex !== undefined && ((BigInt(`0x${hex}`) >> cap) & 1n) === 1n;
}

/** vzctl's own ceiling per resource, or undefined when it may raise any limit. */
export async function grantable(fs: HostFs): Promise<Map<string, number> | undefined> {
  const status = await fs.readFile('/proc/self/status').catch(() => undefined);
  if (status === undefined || hasCap(status, CAP_SYS_RESOURCE)) return undefined;
  const limits = await fs.readFile('/proc/self/limits').catch(() => undefined);
  return limits === undefined ? undefined : parseHardLimits(limits);
}

/** The rlimits lowered to the ceiling, and one note per lowered one. */
export function clampRlimits(rlimits: readonly RlimitPlan[], ceiling: ReadonlyMap<string, number> | undefined): { rlimits: RlimitPlan[]; notes: string[] } {
  const notes: string[] = [];
  const out = rlimits.map((r) => {
    const max = ceiling?.get(r.resource);
    if (max === undefined || r.hard <= max) return r;
    notes.push(`RLIMIT_${r.resource} ${Number.isFinite(r.hard) ? r.hard : 'unlimited'} is above the ${max} that vzctl may grant without CAP_SYS_RESOURCE: the VE gets ${max}`);
    return { resource: r.resource, soft: Math.min(r.soft, max), hard: max };
  });
  return { rlimits: out, notes };
}
