/** pids controller: the NPROC-style task limit (pids.max), refused forks and the peak. */
import { join } from 'node:path';
import type { CgroupResources, CgroupStats } from '@vzkit/core';
import { parseKeyedNumbers, readLimit, readNumber, readOptional, writeCgroupFile } from '../cgroupfs.js';

export async function setPids(dir: string, res: NonNullable<CgroupResources['pids']>): Promise<void> {
  if (res.max === undefined) return;
  await writeCgroupFile(join(dir, 'pids.max'), res.max === null ? 'max' : res.max);
}

export async function pidsStats(dir: string): Promise<NonNullable<CgroupStats['pids']>> {
  // pids.events counts forks refused by this group's limit (or an ancestor's) as `max N`.
  const events = await readOptional(join(dir, 'pids.events'));
  const out: NonNullable<CgroupStats['pids']> = {
    current: await readNumber(join(dir, 'pids.current')),
    max: await readLimit(join(dir, 'pids.max')),
    failcnt: events === undefined ? 0 : (parseKeyedNumbers(events)['max'] ?? 0),
  };
  const peak = await readOptional(join(dir, 'pids.peak'));
  if (peak !== undefined) out.peak = Number(peak.trim());
  return out;
}
