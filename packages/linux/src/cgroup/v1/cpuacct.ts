/** cpuacct controller: CPU time used by the group (a separate hierarchy from cpu on some hosts). */
import { join } from 'node:path';
import { numberIn, readNow, type CgroupRead } from '../cgroupfs.js';

/** Total CPU time of the group and its descendants, in nanoseconds. */
export function cpuUsageNs(dir: string, read: CgroupRead = readNow): number {
  return numberIn(read, `${dir}/cpuacct.usage`);
}
