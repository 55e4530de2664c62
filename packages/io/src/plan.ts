/**
 * From IOPRIO, IOLIMIT and IOPSLIMIT to the I/O controller's resources: the weight of
 * the VE's ioprio, and the same throttles on every disk under its files. Pure.
 */
import type { BlockDevice, CgroupResources, ConfigView } from '@vzkit/core';
import { IOLIMIT, IOPRIO, IOPRIO_WEIGHTS, IOPSLIMIT } from './config.js';

/** 0, unlimited (Infinity) and unset are no limit. */
export const limitOf = (n: number | undefined): number | null => (n === undefined || n <= 0 || !Number.isFinite(n) ? null : n);

/**
 * The io resources to write: the weight and/or the limits on `disks` (as `what` asks),
 * undefined when there is nothing to write.
 */
export function ioResources(config: ConfigView, disks: readonly BlockDevice[], what: { weight: boolean; limits: boolean }): NonNullable<CgroupResources['io']> | undefined {
  const io: NonNullable<CgroupResources['io']> = {};
  if (what.limits) {
    const bps = limitOf(config.get(IOLIMIT));
    const iops = limitOf(config.get(IOPSLIMIT));
    io.limits = disks.map((d) => ({ major: d.major, minor: d.minor, readBps: bps, writeBps: bps, readIops: iops, writeIops: iops }));
  }
  if (what.weight) {
    const prio = config.get(IOPRIO);
    io.weight = prio === undefined ? null : IOPRIO_WEIGHTS[prio]!;
  }
  return io.limits?.length || io.weight !== undefined ? io : undefined;
}
