/**
 * cpuset controller. Unlike v1, a new v2 group with empty cpuset.cpus/mems uses its
 * parent's effective sets, so nothing is copied on create.
 */
import { join } from 'node:path';
import type { CgroupResources } from '@vzkit/core';
import { writeCgroupFileNow } from '../cgroupfs.js';

export async function setCpuset(dir: string, res: NonNullable<CgroupResources['cpuset']>): Promise<void> {
  if (res.mems !== undefined) await writeCgroupFileNow(join(dir, 'cpuset.mems'), res.mems);
  if (res.cpus !== undefined) await writeCgroupFileNow(join(dir, 'cpuset.cpus'), res.cpus);
}
