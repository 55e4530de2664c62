/**
 * cpu controller: relative weight (cpu.weight, 1..10000, default 100) and the hard
 * limit cpu.max, `QUOTA PERIOD` in microseconds or `max PERIOD` for none. Usage comes
 * from cpu.stat, which every v2 group has (the throttling lines only with cpu enabled).
 */
import { join } from 'node:path';
import { vzError, type CgroupResources, type CgroupStats } from '@vzkit/core';
import { parseKeyedNumbers, readCgroupFile, readNow, writeCgroupFileNow, type CgroupRead } from '../cgroupfs.js';

/** The kernel's default period when cpu.max cannot be read back. */
const DEFAULT_PERIOD = 100000;

export function checkWeight(weight: number): number {
  if (!Number.isFinite(weight) || weight < 1 || weight > 10000) {
    throw vzError('BAD_VALUE', `cpu weight ${weight} out of range 1..10000`);
  }
  return Math.round(weight);
}

export async function setCpu(dir: string, res: NonNullable<CgroupResources['cpu']>): Promise<void> {
  if (res.weight !== undefined) await writeCgroupFileNow(join(dir, 'cpu.weight'), checkWeight(res.weight));
  if (res.quota === undefined && res.period === undefined) return;
  // One file holds both: what is not given is kept from the current value.
  const path = join(dir, 'cpu.max');
  const [curQuota = 'max', curPeriod = String(DEFAULT_PERIOD)] = (await readCgroupFile(path)).trim().split(/\s+/);
  const quota = res.quota === undefined ? curQuota : res.quota === null ? 'max' : String(res.quota);
  const period = res.period === undefined ? curPeriod : String(res.period);
  await writeCgroupFileNow(path, `${quota} ${period}`);
}

/** CPU time used and time throttled, in nanoseconds; undefined without cpu.stat. */
export function cpuStats(dir: string, read: CgroupRead = readNow): CgroupStats['cpu'] {
  const text = read(`${dir}/cpu.stat`);
  if (text === undefined) return undefined;
  const stat = parseKeyedNumbers(text);
  const out: NonNullable<CgroupStats['cpu']> = { usageNs: (stat['usage_usec'] ?? 0) * 1000 };
  if (stat['throttled_usec'] !== undefined) out.throttledNs = stat['throttled_usec'] * 1000;
  return out;
}
