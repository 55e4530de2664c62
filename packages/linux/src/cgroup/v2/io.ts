/**
 * io controller (v2): per-device limits in io.max (blk-throttle, any scheduler) and the
 * proportional weight: io.weight where the kernel has the io.cost model (it acts once
 * io.cost.qos enables it for the disk), io.bfq.weight where BFQ schedules the disk.
 */
import { join } from 'node:path';
import { vzError, type CgroupResources, type IoLimit } from '@vzkit/core';
import { fileExists, writeCgroupFileNow } from '../cgroupfs.js';

const clamp = (n: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, Math.round(n)));

/** `MAJ:MIN rbps=N wbps=max riops=... wiops=...`; `max` is no limit. */
export function ioMaxLine(l: IoLimit): string {
  const v = (n: number | null) => (n === null ? 'max' : String(n));
  return `${l.major}:${l.minor} rbps=${v(l.readBps)} wbps=${v(l.writeBps)} riops=${v(l.readIops)} wiops=${v(l.writeIops)}`;
}

export async function setIo(dir: string, res: NonNullable<CgroupResources['io']>, group: string): Promise<void> {
  for (const limit of res.limits ?? []) await writeCgroupFileNow(join(dir, 'io.max'), ioMaxLine(limit));
  if (res.weight === undefined) return;
  const weight = res.weight ?? 100;
  let written = false;
  if (await fileExists(join(dir, 'io.weight'))) {
    await writeCgroupFileNow(join(dir, 'io.weight'), `default ${clamp(weight, 1, 10000)}`);
    written = true;
  }
  if (await fileExists(join(dir, 'io.bfq.weight'))) {
    await writeCgroupFileNow(join(dir, 'io.bfq.weight'), `default ${clamp(weight, 1, 1000)}`);
    written = true;
  }
  if (!written) {
    throw vzError('UNSUPPORTED', `cgroup ${group}: no I/O weight in ${dir}: neither io.weight (io.cost) nor io.bfq.weight (BFQ) exists`, {
      path: join(dir, 'io.weight'),
    });
  }
}
