/** cpuacct controller: CPU time used by the group (a separate hierarchy from cpu on some hosts). */
import { join } from 'node:path';
import { readNumber } from '../cgroupfs.js';

/** Total CPU time of the group and its descendants, in nanoseconds. */
export async function cpuUsageNs(dir: string): Promise<number> {
  return readNumber(join(dir, 'cpuacct.usage'));
}
