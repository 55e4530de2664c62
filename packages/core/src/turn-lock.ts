/**
 * A {@link FileLock} over something every vzkit process of a host shares (one lxcfs or
 * vzprocfs server of a root), which the operations of this process take in turns: those
 * that ask while the lock is held or awaited join the next turn, and a turn runs all it
 * has, one after another, under one acquisition. A bulk start of 100 VEs then takes the
 * lock a handful of times instead of 100, and its operations can share what one of them
 * found out (`turn.facts`: the server was seen running) instead of each asking the
 * kernel again — each of those awaits, behind the other VEs' work on the one event loop,
 * was what made the lock the queue of a bulk start.
 */
import { FileLock, type LockOptions } from './lock.js';
import type { Host } from './host.js';

/** One turn of a {@link TurnLock}: what its operations found out, for the ones after them. */
export interface LockTurn {
  readonly facts: Map<string, unknown>;
}

interface Waiter {
  /** Runs the operation; returns how to settle its caller once the lock is released. */
  run(turn: LockTurn): Promise<() => void>;
  fail(e: unknown): void;
}

export class TurnLock {
  private readonly waiting: Waiter[] = [];
  private busy = false;

  constructor(private readonly lock: FileLock, private readonly opts: LockOptions) {}

  /**
   * Runs `fn` holding the lock, in the current turn or the next; the turn goes on whether
   * `fn` fails or not. Settles once the turn has released the lock: a process that exits
   * when its last operation is done leaves no lock file behind.
   */
  run<T>(fn: (turn: LockTurn) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({ run: (turn) => fn(turn).then((v) => () => resolve(v), (e: unknown) => () => reject(e)), fail: reject });
      if (!this.busy) void this.turns();
    });
  }

  private async turns(): Promise<void> {
    this.busy = true;
    try {
      while (this.waiting.length > 0) {
        const done: Array<() => void> = [];
        try {
          await this.lock.with(this.opts, async () => {
            const turn: LockTurn = { facts: new Map() };
            for (let w = this.waiting.shift(); w; w = this.waiting.shift()) done.push(await w.run(turn));
          });
        } catch (e) {
          // The lock could not be had (busy past the wait, or its file refused): every
          // operation waiting for it fails with that.
          for (const w of this.waiting.splice(0)) w.fail(e);
        }
        for (const settle of done) settle();
      }
    } finally {
      this.busy = false;
    }
  }
}

const locks = new WeakMap<Host, Map<string, TurnLock>>();

/**
 * The TurnLock of `path` (a lock file) for this process and `host`: the same object for
 * every caller, so that they share its turns. `what` names the locked thing in messages.
 */
export function turnLock(host: Host, path: string, what: string, waitMs: number): TurnLock {
  let byPath = locks.get(host);
  if (!byPath) locks.set(host, (byPath = new Map()));
  let l = byPath.get(path);
  if (!l) byPath.set(path, (l = new TurnLock(new FileLock(path, what, host.processes, host.fs), { op: 'instance', waitMs })));
  return l;
}
