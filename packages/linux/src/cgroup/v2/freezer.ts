/**
 * The v2 freezer, built into every non-root group: writing 1 to cgroup.freeze starts
 * freezing the subtree and cgroup.events reads `frozen 1` once every task has stopped,
 * so freeze polls for it and backs out (thaws) when it never comes.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { vzError } from '@vzkit/core';
import { parseKeyedNumbers, readCgroupFile, writeCgroupFile } from '../cgroupfs.js';

/** True when cgroup.events reads `frozen 1`. */
export async function isFrozen(dir: string): Promise<boolean> {
  return parseKeyedNumbers(await readCgroupFile(join(dir, 'cgroup.events')))['frozen'] === 1;
}

export async function freeze(dir: string, timeoutMs: number): Promise<void> {
  await writeCgroupFile(join(dir, 'cgroup.freeze'), 1);
  const deadline = Date.now() + timeoutMs;
  for (let delay = 1; !(await isFrozen(dir)); delay = Math.min(delay * 2, 50)) {
    if (Date.now() >= deadline) {
      await thaw(dir);
      throw vzError('SYSTEM', `freeze ${dir}: cgroup.events still not frozen after ${timeoutMs} ms`, { path: join(dir, 'cgroup.events') });
    }
    await sleep(delay);
  }
}

export async function thaw(dir: string): Promise<void> {
  await writeCgroupFile(join(dir, 'cgroup.freeze'), 0);
}
