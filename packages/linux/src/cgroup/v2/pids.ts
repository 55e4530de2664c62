/** pids controller: the NPROC-style task limit (pids.max), refused forks and the peak. */
import { join } from 'node:path';
import type { CgroupResources, CgroupStats } from '@vzkit/core';
import { limitIn, numberIn, parseKeyedNumbers, readNow, writeCgroupFileNow, type CgroupRead } from '../cgroupfs.js';

export async function setPids(dir: string, res: NonNullable<CgroupResources['pids']>): Promise<void> {
  if (res.max === undefined) return;
  await writeCgroupFileNow(join(dir, 'pids.max'), res.max === null ? 'max' : res.max);
}

export function pidsStats(dir: string, read: CgroupRead = readNow): NonNullable<CgroupStats['pids']> {
  // pids.events counts forks refused by this group's limit (or an ancestor's) as `max N`.
  const events = read(`${dir}/pids.events`);
  const out: NonNullable<CgroupStats['pids']> = {
    current: numberIn(read, `${dir}/pids.current`),
    max: limitIn(read, `${dir}/pids.max`),
    failcnt: events === undefined ? 0 : (parseKeyedNumbers(events)['max'] ?? 0),
  };
  const peak = read(`${dir}/pids.peak`);
  if (peak !== undefined) out.peak = Number(peak.trim());
  return out;
}
