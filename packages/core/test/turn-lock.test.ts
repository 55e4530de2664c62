import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileLock, nodeLockFs, type LockFs } from '../src/lock.js';
import { TurnLock } from '../src/turn-lock.js';
import type { ProcessService } from '../src/host.js';

const procs = {
  startTime: async () => undefined,
  alive: async (pid: number) => pid === process.pid || pid === 1,
} as unknown as ProcessService;

let dir: string;
let acquisitions: number;
/** node:fs, counting the lock files made: one per acquisition. */
const counting: LockFs = {
  ...nodeLockFs,
  async writeFile(path, data, opts) {
    await nodeLockFs.writeFile(path, data, opts);
    if (opts?.exclusive && path.endsWith('.lck')) acquisitions++;
  },
};

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vzkit-turn-lock-'));
  acquisitions = 0;
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('TurnLock', () => {
  it('runs what asks meanwhile in one turn, in order, sharing facts; a failure does not end the turn; no file is left', async () => {
    const lock = new TurnLock(new FileLock(join(dir, 'x.lck'), 'x', procs, counting), { op: 'test', waitMs: 1000 });
    const order: number[] = [];
    const looks: number[] = [];
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => lock.run(async (turn) => {
      if (!turn.facts.has('seen')) {
        looks.push(i);
        turn.facts.set('seen', true);
      }
      order.push(i);
      if (i === 3) throw new Error('three');
      return i;
    })));
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(looks).toEqual([0]);
    expect(acquisitions).toBe(1);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
    expect(await readdir(dir)).toEqual([]);
    // Later work takes a new turn: facts start afresh.
    await lock.run(async (turn) => void looks.push(turn.facts.size));
    expect(looks).toEqual([0, 0]);
    expect(acquisitions).toBe(2);
  });

  it('fails every waiter with LOCKED when another process holds the lock past the wait', async () => {
    // pid 1 is alive: the lock is another process's.
    await writeFile(join(dir, 'x.lck'), '1\n\nother\n');
    const lock = new TurnLock(new FileLock(join(dir, 'x.lck'), 'the x', procs, counting), { op: 'test', waitMs: 100 });
    const results = await Promise.allSettled([lock.run(async () => 1), lock.run(async () => 2)]);
    expect(results.map((r) => r.status === 'rejected' && (r.reason as { code?: string }).code)).toEqual(['LOCKED', 'LOCKED']);
  });
});
