/**
 * cpu controller: relative weight (cpu.shares) and the CFS hard limit (quota per period).
 * Weight is given in v2 units (1..10000, default 100); v1 shares = weight*1024/100 so that
 * the default weight maps to the default 1024 shares.
 */
import { join } from 'node:path';
import { vzError, type CgroupResources } from '@vzkit/core';
import { parseKeyedNumbers, readNow, writeCgroupFileNow, type CgroupRead } from '../cgroupfs.js';

/** The kernel's minimum for cpu.shares. */
const MIN_SHARES = 2;

/** v2 weight (1..10000) → v1 cpu.shares. */
export function weightToShares(weight: number): number {
  if (!Number.isFinite(weight) || weight < 1 || weight > 10000) {
    throw vzError('BAD_VALUE', `cpu weight ${weight} out of range 1..10000`);
  }
  return Math.max(MIN_SHARES, Math.round((weight * 1024) / 100));
}

export async function setCpu(dir: string, res: NonNullable<CgroupResources['cpu']>): Promise<void> {
  if (res.weight !== undefined) await writeCgroupFileNow(join(dir, 'cpu.shares'), weightToShares(res.weight));
  // The period first: the kernel checks a new quota against the period in force.
  if (res.period !== undefined) await writeCgroupFileNow(join(dir, 'cpu.cfs_period_us'), res.period);
  if (res.quota !== undefined) await writeCgroupFileNow(join(dir, 'cpu.cfs_quota_us'), res.quota === null ? -1 : res.quota);
}

/** Time the group spent throttled by its quota, in nanoseconds (undefined without cpu.stat). */
export function throttledNs(dir: string, read: CgroupRead = readNow): number | undefined {
  const text = read(`${dir}/cpu.stat`);
  return text === undefined ? undefined : parseKeyedNumbers(text)['throttled_time'];
}
