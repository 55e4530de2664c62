/**
 * A group and its descendants within one v1 hierarchy or the v2 tree. A VE's init may
 * create child groups, so killing, listing and removing a group always covers the
 * whole subtree.
 */
import { readdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { vzError } from '@vzkit/core';
import { errnoOf, parsePids, readOptional } from './cgroupfs.js';

/** The directories of the subtree, children before their parent; empty when `dir` is gone. */
export async function subtreeDirs(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return [];
    throw vzError('SYSTEM', `readdir ${dir}: ${errnoOf(e) ?? String(e)}`, { errno: errnoOf(e), path: dir, cause: e });
  }
  const out: string[] = [];
  for (const entry of entries) {
    if (entry.isDirectory()) out.push(...(await subtreeDirs(join(dir, entry.name))));
  }
  out.push(dir);
  return out;
}

/** Every process in the subtree (cgroup.procs of each level). */
export async function subtreePids(dir: string): Promise<number[]> {
  const pids = new Set<number>();
  for (const d of await subtreeDirs(dir)) {
    const text = await readOptional(join(d, 'cgroup.procs'));
    if (text !== undefined) parsePids(text).forEach((p) => pids.add(p));
  }
  return [...pids].sort((a, b) => a - b);
}

/**
 * Removes the subtree bottom-up. EBUSY means tasks are still leaving (a killed process
 * is uncharged a moment after it is reaped), so it is retried until `deadline` (epoch ms).
 */
export async function removeSubtree(dir: string, deadline: number): Promise<void> {
  for (const d of await subtreeDirs(dir)) {
    for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
      try {
        await rmdir(d);
        break;
      } catch (e) {
        const errno = errnoOf(e);
        if (errno === 'ENOENT') break;
        if (errno === 'EBUSY' && Date.now() < deadline) {
          await sleep(delay);
          continue;
        }
        throw vzError('SYSTEM', `rmdir ${d}: ${errno ?? String(e)}`, { errno, path: d, cause: e });
      }
    }
  }
}

/** Removes `dir` if it is an empty group; one with processes or children (EBUSY), or gone, stays as it is. */
export async function pruneDir(dir: string): Promise<void> {
  try {
    await rmdir(dir);
  } catch (e) {
    const errno = errnoOf(e);
    if (errno === 'ENOENT' || errno === 'EBUSY' || errno === 'ENOTEMPTY') return;
    throw vzError('SYSTEM', `rmdir ${dir}: ${errno ?? String(e)}`, { errno, path: dir, cause: e });
  }
}

/**
 * Runs a create, again when another vzctl pruned the empty parent meanwhile: a directory
 * on the way vanished between our mkdirs (ENOENT), or we wrote into one being removed
 * (ENODEV, as the kernel answers for the files of a group that is going away).
 */
export async function createRacingPrune(create: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await create();
    } catch (e) {
      const errno = (e as { errno?: string }).errno;
      if (attempt >= 5 || (errno !== 'ENOENT' && errno !== 'ENODEV')) throw e;
      await sleep(5 * attempt);
    }
  }
}

/** SIGKILLs each pid; one that is already gone is fine. */
export function killPids(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch (e) {
      // Already gone between listing and signalling.
      if (errnoOf(e) !== 'ESRCH') throw vzError('STOP_FAILED', `kill ${pid}: ${errnoOf(e) ?? String(e)}`, { errno: errnoOf(e), cause: e });
    }
  }
}

/** How long the backends wait on the kernel; the same for v1 and v2. */
export interface WaitOptions {
  /** How long freeze waits for the group to be frozen. Default 2000. */
  freezeTimeoutMs?: number;
  /** How long kill waits for the group to empty. Default 5000. */
  killTimeoutMs?: number;
  /** How long destroy keeps retrying EBUSY rmdirs. Default 2000. */
  busyRetryMs?: number;
}

export function waits(opts: WaitOptions): Required<WaitOptions> {
  return { freezeTimeoutMs: opts.freezeTimeoutMs ?? 2000, killTimeoutMs: opts.killTimeoutMs ?? 5000, busyRetryMs: opts.busyRetryMs ?? 2000 };
}

/**
 * After the first kill: waits for the subtree to empty, looking again with a growing
 * pause (5 to 100 ms) and calling `again` on what is left (a task may have forked
 * before it died); STOP_FAILED naming the survivors after `timeoutMs`.
 */
export async function waitEmpty(group: string, timeoutMs: number, list: () => Promise<number[]>, again: (left: number[]) => Promise<void> | void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    const left = await list();
    if (left.length === 0) return;
    if (Date.now() >= deadline) {
      throw vzError('STOP_FAILED', `kill cgroup ${group}: still running after ${timeoutMs} ms: ${left.join(', ')}`);
    }
    await again(left);
    await sleep(delay);
  }
}
