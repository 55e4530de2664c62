/**
 * freezer controller. Writing FROZEN starts freezing; the state reads FREEZING until every
 * task has stopped, so freeze polls for FROZEN and backs out (thaws) when it never comes.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { vzError } from '@vzkit/core';
import { readCgroupFile, writeCgroupFile } from '../cgroupfs.js';

export type FreezerState = 'THAWED' | 'FREEZING' | 'FROZEN';

export async function freezerState(dir: string): Promise<FreezerState> {
  return (await readCgroupFile(join(dir, 'freezer.state'))).trim() as FreezerState;
}

export async function freeze(dir: string, timeoutMs: number): Promise<void> {
  const path = join(dir, 'freezer.state');
  const deadline = Date.now() + timeoutMs;
  for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
    // Re-writing FROZEN each round nudges tasks that were mid-fork when freezing began.
    await writeCgroupFile(path, 'FROZEN');
    const state = await freezerState(dir);
    if (state === 'FROZEN') return;
    if (Date.now() >= deadline) {
      await thaw(dir);
      throw vzError('SYSTEM', `freeze ${dir}: still ${state} after ${timeoutMs} ms`, { path });
    }
    await sleep(delay);
  }
}

export async function thaw(dir: string): Promise<void> {
  await writeCgroupFile(join(dir, 'freezer.state'), 'THAWED');
}
