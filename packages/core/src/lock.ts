/**
 * Locks across processes: a file created exclusively that holds the holder's pid, start
 * time and operation (OpenVZ's LOCKDIR/CTID.lck). The file exists only while an
 * operation holds the lock, so nothing is left behind. A lock whose holder is gone is
 * stale and taken over; a tiny takeover mutex keeps two takers from both winning.
 *
 * The same lock serves a VE (`<run>/<CTID>.lck`, on vzkit's own files) and anything a
 * plugin must serialize machine-wide (an OS template's build, through the Host's files),
 * so it works on a small file interface rather than on node:fs.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { vzError } from './errors.js';
import type { HostFs, ProcessService } from './host.js';

export interface LockOptions {
  /** How long to wait for a busy lock before failing with LOCKED (ms). */
  waitMs?: number;
  /** What the holder is doing, shown to whoever waits. */
  op: string;
  /** Called once when the lock is busy and this caller begins to wait for it. */
  onWait?(holder: LockHolder): void;
}

export interface LockHolder {
  pid: number;
  startTime: number | undefined;
  op: string;
}

/** The file operations a lock needs: HostFs has them; {@link nodeLockFs} is node:fs. */
export type LockFs = Pick<HostFs, 'readFile' | 'remove' | 'mkdir' | 'writeFile'>;

/**
 * vzkit's own files on the real filesystem, for locks core keeps beside its state: small
 * files in the run directory, made and read synchronously like the state (atomic-file.ts).
 */
export const nodeLockFs: LockFs = {
  async readFile(path) {
    return readFileSync(path, 'utf8');
  },
  async remove(path) {
    rmSync(path, { force: true });
  },
  async mkdir(path, opts) {
    mkdirSync(path, { recursive: opts?.recursive ?? false });
  },
  async writeFile(path, data, opts) {
    const fd = openSync(path, opts?.exclusive ? 'wx' : 'w', opts?.mode ?? 0o600);
    try {
      writeFileSync(fd, data);
    } finally {
      closeSync(fd);
    }
  },
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The errno of a failure from node:fs (`code`) or from a Host (VzError's `errno`). */
const errno = (e: unknown) => {
  const err = e as { code?: unknown; errno?: unknown } | undefined;
  return typeof err?.errno === 'string' ? err.errno : typeof err?.code === 'string' ? err.code : undefined;
};
/** A lock file that stays unreadable this long was left by a writer killed mid-write. */
const HALF_WRITTEN_MS = 1000;
/** A takeover mutex older than this was left by a taker that died. */
const STALE_MUTEX_MS = 5000;

function parseHolder(text: string): LockHolder | undefined {
  const [pid, start, op] = text.split('\n');
  const n = Number(pid);
  if (!Number.isInteger(n) || n <= 0) return undefined;
  return { pid: n, startTime: start ? Number(start) : undefined, op: op ?? '?' };
}

/** An exclusive lock held by this process; `what` names the locked thing in messages (`CT 101`). */
export class FileLock {
  private held = false;

  constructor(
    readonly path: string,
    readonly what: string,
    private readonly processes: ProcessService,
    private readonly fs: LockFs = nodeLockFs,
  ) {}

  async acquire(opts: LockOptions): Promise<void> {
    await this.fs.mkdir(dirname(this.path), { recursive: true });
    const myStart = await this.processes.startTime(process.pid);
    const content = `${process.pid}\n${myStart ?? ''}\n${opts.op}\n`;
    const deadline = Date.now() + (opts.waitMs ?? 0);
    let waiting = false;
    let unreadableSince: number | undefined;
    let mutexSeen: number | undefined;
    for (;;) {
      try {
        await this.fs.writeFile(this.path, content, { mode: 0o600, exclusive: true });
        this.held = true;
        return;
      } catch (e) {
        if (errno(e) !== 'EEXIST') throw e;
      }
      const text = await this.fs.readFile(this.path).catch(() => '');
      const holder = parseHolder(text);
      if (holder && (await this.processes.alive(holder.pid, holder.startTime))) {
        unreadableSince = undefined;
        if (Date.now() >= deadline) {
          throw vzError('LOCKED', `${this.what} is locked by another operation (pid ${holder.pid}, ${holder.op})`, {
            hint: 'wait for it to finish and try again',
          });
        }
        if (!waiting) opts.onWait?.(holder);
        waiting = true;
        await sleep(50);
        continue;
      }
      // A lock being written right now reads empty: give its writer a moment.
      if (!holder && text === '') {
        unreadableSince ??= Date.now();
        if (Date.now() - unreadableSince < HALF_WRITTEN_MS) {
          await sleep(10);
          continue;
        }
      }
      mutexSeen = await this.takeOverStale(text, mutexSeen);
    }
  }

  /**
   * Removes the stale lock whose text was `seen`, unless another taker is at it; returns
   * when this caller first saw another taker's mutex, so that a dead taker's is cleared.
   */
  private async takeOverStale(seen: string, mutexSeen: number | undefined): Promise<number | undefined> {
    const mutex = `${this.path}.takeover`;
    try {
      await this.fs.writeFile(mutex, '', { mode: 0o600, exclusive: true });
    } catch (e) {
      if (errno(e) !== 'EEXIST') throw e;
      const since = mutexSeen ?? Date.now();
      if (Date.now() - since > STALE_MUTEX_MS) {
        await this.fs.remove(mutex).catch(() => {});
        return undefined;
      }
      await sleep(10);
      return since;
    }
    try {
      const now = await this.fs.readFile(this.path).catch(() => undefined);
      if (now === seen) await this.fs.remove(this.path).catch((e) => errno(e) === 'ENOENT' || Promise.reject(e));
    } finally {
      await this.fs.remove(mutex).catch(() => {});
    }
    return undefined;
  }

  async release(): Promise<void> {
    if (!this.held) return;
    this.held = false;
    await this.fs.remove(this.path).catch((e) => errno(e) === 'ENOENT' || Promise.reject(e));
  }

  /** Who holds the lock now, if anyone alive does. */
  async holder(): Promise<LockHolder | undefined> {
    const h = parseHolder(await this.fs.readFile(this.path).catch(() => ''));
    return h && (await this.processes.alive(h.pid, h.startTime)) ? h : undefined;
  }

  /** Runs `fn` holding the lock; released however `fn` ends. */
  async with<T>(opts: LockOptions, fn: () => Promise<T>): Promise<T> {
    await this.acquire(opts);
    try {
      return await fn();
    } finally {
      await this.release();
    }
  }
}

/** The per-VE lock, `<run>/<CTID>.lck`. */
export class VeLock extends FileLock {
  constructor(path: string, readonly ctid: number, processes: ProcessService) {
    super(path, `CT ${ctid}`, processes);
  }
}
