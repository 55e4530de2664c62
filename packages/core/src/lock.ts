/**
 * Per-VE locks across processes: `<run>/<ctid>.lck`, created exclusively and holding the
 * holder's pid and start time (OpenVZ's LOCKDIR/CTID.lck). The file exists only while an
 * operation holds the VE, so nothing is left behind. A lock whose holder is gone is stale
 * and taken over; a tiny takeover mutex keeps two takers from both winning.
 */
import { mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { vzError } from './errors.js';
import type { ProcessService } from './host.js';

export interface LockOptions {
  /** How long to wait for a busy VE before failing with LOCKED (ms). */
  waitMs?: number;
  /** What the holder is doing, shown to whoever waits. */
  op: string;
}

export interface LockHolder {
  pid: number;
  startTime: number | undefined;
  op: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function parseHolder(text: string): LockHolder | undefined {
  const [pid, start, op] = text.split('\n');
  const n = Number(pid);
  if (!Number.isInteger(n) || n <= 0) return undefined;
  return { pid: n, startTime: start ? Number(start) : undefined, op: op ?? '?' };
}

export class VeLock {
  private held = false;

  constructor(readonly path: string, readonly ctid: number, private readonly processes: ProcessService) {}

  async acquire(opts: LockOptions): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const myStart = await this.processes.startTime(process.pid);
    const content = `${process.pid}\n${myStart ?? ''}\n${opts.op}\n`;
    const deadline = Date.now() + (opts.waitMs ?? 0);
    for (;;) {
      try {
        const fh = await open(this.path, 'wx', 0o600);
        await fh.writeFile(content);
        await fh.close();
        this.held = true;
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const text = await readFile(this.path, 'utf8').catch(() => '');
      const holder = parseHolder(text);
      // A lock being written right now reads empty: give its writer a moment.
      if (holder && (await this.processes.alive(holder.pid, holder.startTime))) {
        if (Date.now() >= deadline) {
          throw vzError('LOCKED', `CT ${this.ctid} is locked by another operation (pid ${holder.pid}, ${holder.op})`, {
            hint: 'wait for it to finish and try again',
          });
        }
        await sleep(50);
        continue;
      }
      if (!holder) {
        const age = Date.now() - ((await stat(this.path).catch(() => undefined))?.mtimeMs ?? 0);
        if (age < 1000) {
          await sleep(10);
          continue;
        }
      }
      await this.takeOverStale(text);
    }
  }

  private async takeOverStale(seen: string): Promise<void> {
    const mutex = `${this.path}.takeover`;
    try {
      const fh = await open(mutex, 'wx', 0o600);
      await fh.close();
    } catch {
      const age = Date.now() - ((await stat(mutex).catch(() => undefined))?.mtimeMs ?? Date.now());
      if (age > 5000) await rm(mutex, { force: true });
      await sleep(10);
      return;
    }
    try {
      const now = await readFile(this.path, 'utf8').catch(() => undefined);
      if (now === seen) await rm(this.path, { force: true });
    } finally {
      await rm(mutex, { force: true });
    }
  }

  async release(): Promise<void> {
    if (!this.held) return;
    this.held = false;
    await rm(this.path, { force: true });
  }

  /** Who holds the lock now, if anyone alive does. */
  async holder(): Promise<LockHolder | undefined> {
    const h = parseHolder(await readFile(this.path, 'utf8').catch(() => ''));
    return h && (await this.processes.alive(h.pid, h.startTime)) ? h : undefined;
  }
}
