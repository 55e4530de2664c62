/**
 * blkio controller (v1): per-device throttles (blkio.throttle.*_device, blk-throttle,
 * any scheduler) and the proportional weight. The weight file exists only where an I/O
 * scheduler acts on it: CFQ's blkio.weight (gone since Linux 5.0) or BFQ's
 * blkio.bfq.weight; with mq-deadline, kyber or none there is nothing to write.
 */
import { join } from 'node:path';
import { vzError, type CgroupResources, type IoLimit } from '@vzkit/core';
import { fileExists, writeCgroupFileNow } from '../cgroupfs.js';

const THROTTLES: ReadonlyArray<[keyof Omit<IoLimit, 'major' | 'minor'>, string]> = [
  ['readBps', 'blkio.throttle.read_bps_device'],
  ['writeBps', 'blkio.throttle.write_bps_device'],
  ['readIops', 'blkio.throttle.read_iops_device'],
  ['writeIops', 'blkio.throttle.write_iops_device'],
];

const clamp = (n: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, Math.round(n)));

/** `MAJ:MIN 0` removes the device's rule. */
async function setThrottles(dir: string, limit: IoLimit): Promise<void> {
  for (const [field, file] of THROTTLES) {
    await writeCgroupFileNow(join(dir, file), `${limit.major}:${limit.minor} ${limit[field] ?? 0}`);
  }
}

export async function setBlkio(dir: string, res: NonNullable<CgroupResources['io']>, group: string): Promise<void> {
  for (const limit of res.limits ?? []) await setThrottles(dir, limit);
  if (res.weight === undefined) return;
  const weight = res.weight ?? 100;
  // BFQ's scale is v2's (1..1000 here, default 100); CFQ's was 10..1000 with 500 as the default.
  if (await fileExists(join(dir, 'blkio.bfq.weight'))) return writeCgroupFileNow(join(dir, 'blkio.bfq.weight'), clamp(weight, 1, 1000));
  if (await fileExists(join(dir, 'blkio.weight'))) return writeCgroupFileNow(join(dir, 'blkio.weight'), clamp(weight * 5, 10, 1000));
  throw vzError('UNSUPPORTED', `cgroup ${group}: no I/O weight in ${dir}: neither blkio.weight (CFQ) nor blkio.bfq.weight (BFQ) exists, so no I/O scheduler of this host shares disk time by weight`, {
    path: join(dir, 'blkio.weight'),
    hint: 'select the BFQ scheduler for the disk (echo bfq > /sys/block/DISK/queue/scheduler) where the kernel has it',
  });
}
