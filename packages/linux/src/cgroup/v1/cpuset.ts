/**
 * cpuset controller. A new v1 cpuset starts with empty cpus and mems, and attaching a task
 * to it then fails with ENOSPC, so every level vzkit creates inherits its parent's sets.
 */
import { dirname, join } from 'node:path';
import type { CgroupResources } from '@vzkit/core';
import { readCgroupFile, readOptional, writeCgroupFileNow } from '../cgroupfs.js';

const SETS = ['cpuset.cpus', 'cpuset.mems'] as const;

/** Copies cpus and mems from the parent into `dir` where they are still empty. */
export async function inheritCpuset(dir: string): Promise<void> {
  for (const file of SETS) {
    const own = await readOptional(join(dir, file));
    if (own !== undefined && own.trim() !== '') continue;
    const parent = (await readCgroupFile(join(dirname(dir), file))).trim();
    await writeCgroupFileNow(join(dir, file), parent);
  }
}

export async function setCpuset(dir: string, res: NonNullable<CgroupResources['cpuset']>): Promise<void> {
  // mems before cpus, like runc; either order is accepted while both stay non-empty.
  if (res.mems !== undefined) await writeCgroupFileNow(join(dir, 'cpuset.mems'), res.mems);
  if (res.cpus !== undefined) await writeCgroupFileNow(join(dir, 'cpuset.cpus'), res.cpus);
}
