/**
 * Rereading the same control files often (a metrics scrape of every VE's cgroup): each
 * counter file stays open and is read again with pread at offset 0, which makes the
 * kernel generate it anew; limit files are read again only now and then. Measured here on cgroup v1: open + read + close costs some 10 µs per
 * file, a pread on a kept descriptor 3-5 µs; at two dozen counters per VE that is the
 * difference between a scrape of a thousand VEs in budget and not.
 */
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { vzError } from '@vzkit/core';
import { errnoOf, type CgroupRead } from './cgroupfs.js';

/** Marks a file this kernel does not offer in a group that exists. */
const ABSENT = -1;

/** The soft RLIMIT_NOFILE of this process, from /proc/self/limits (Node has no getrlimit). */
function openFileLimit(): number {
  try {
    const line = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return line?.[1] === 'unlimited' ? 1 << 20 : Number(line?.[1] ?? 1024);
  } catch {
    return 1024;
  }
}

/**
 * Limit files: they change only when vzkit writes them (start, `set`), and no counter
 * the samples feed is derived from them, so a pass reads them again only every
 * {@link LIMIT_EVERY} passes. A fifth of the files per VE, and of the descriptors.
 */
const LIMIT_FILES = new Set([
  'pids.max', 'memory.limit_in_bytes', 'memory.memsw.limit_in_bytes', 'memory.kmem.limit_in_bytes', 'memory.kmem.tcp.limit_in_bytes',
  'memory.max', 'memory.swap.max',
]);
const LIMIT_EVERY = 16;

interface Kept {
  /** The descriptor, or {@link ABSENT}. */
  fd: number;
  /** The last pass that read it. */
  pass: number;
}

export class KeptFiles {
  readonly #fds = new Map<string, Kept>();
  #open = 0;
  #buf = Buffer.alloc(16 * 1024);
  #pass = 0;
  /** Limit files' text, the pass it was read in and the last pass that asked for it. */
  readonly #limits = new Map<string, { text: string | undefined; read: number; pass: number }>();
  /** Descriptors it may keep: the limit, less room for everything else the process opens. */
  readonly budget: number;

  constructor(budget?: number) {
    this.budget = budget ?? Math.max(0, openFileLimit() - 2048);
  }

  /** Descriptors held now. */
  get open(): number {
    return this.#open;
  }

  /** The reader for one pass; call {@link sweep} after it. */
  readonly read: CgroupRead = (path) => {
    if (LIMIT_FILES.has(path.slice(path.lastIndexOf('/') + 1))) {
      const seen = this.#limits.get(path);
      if (seen && this.#pass - seen.read < LIMIT_EVERY) {
        seen.pass = this.#pass;
        return seen.text;
      }
      let text: string | undefined;
      try {
        text = readFileSync(path, 'latin1');
      } catch (e) {
        if (errnoOf(e) !== 'ENOENT' && errnoOf(e) !== 'ENODEV') throw vzError('SYSTEM', `read ${path}: ${errnoOf(e) ?? String(e)}`, { errno: errnoOf(e), path, cause: e });
      }
      this.#limits.set(path, { text, read: this.#pass, pass: this.#pass });
      return text;
    }
    const kept = this.#fds.get(path);
    if (kept !== undefined) {
      kept.pass = this.#pass;
      if (kept.fd === ABSENT) return undefined;
      const text = this.#pread(kept.fd, path);
      if (text !== undefined) return text;
      // The group was removed (ENODEV) and maybe made again: open the file afresh.
      this.#close(path);
    }
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      if (errnoOf(e) !== 'ENOENT') throw vzError('SYSTEM', `read ${path}: ${errnoOf(e) ?? String(e)}`, { errno: errnoOf(e), path, cause: e });
      // A file this kernel lacks in a group that exists need not be looked for again.
      if (isDir(dirname(path))) this.#fds.set(path, { fd: ABSENT, pass: this.#pass });
      return undefined;
    }
    const text = this.#pread(fd, path);
    if (text === undefined) {
      closeSync(fd);
      return undefined;
    }
    if (this.#open < this.budget) {
      this.#fds.set(path, { fd, pass: this.#pass });
      this.#open++;
    } else {
      closeSync(fd);
    }
    return text;
  };

  /** Closes the files the last pass did not read (groups of VEs that stopped); the next pass begins. */
  sweep(): void {
    for (const [path, k] of this.#fds) if (k.pass !== this.#pass) this.#close(path);
    for (const [path, l] of this.#limits) if (l.pass !== this.#pass) this.#limits.delete(path);
    this.#pass++;
  }

  /**
   * Ends a manager's sampling pass over `groups`: {@link sweep}, and forgets what `dirs`
   * keeps of groups the pass did not ask for.
   */
  endPass(dirs: Map<string, unknown>, groups: readonly string[]): void {
    this.sweep();
    const asked = new Set(groups);
    for (const g of [...dirs.keys()]) if (!asked.has(g)) dirs.delete(g);
  }

  close(): void {
    for (const path of [...this.#fds.keys()]) this.#close(path);
  }

  #close(path: string): void {
    const k = this.#fds.get(path);
    this.#fds.delete(path);
    if (k !== undefined && k.fd !== ABSENT) {
      closeSync(k.fd);
      this.#open--;
    }
  }

  /** The whole file, or undefined when its group is gone (ENODEV, ENOENT). */
  #pread(fd: number, path: string): string | undefined {
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, this.#buf, 0, this.#buf.length, 0);
      } catch (e) {
        const errno = errnoOf(e);
        if (errno === 'ENODEV' || errno === 'ENOENT') return undefined;
        throw vzError('SYSTEM', `read ${path}: ${errno ?? String(e)}`, { errno, path, cause: e });
      }
      if (n < this.#buf.length) return this.#buf.toString('latin1', 0, n);
      this.#buf = Buffer.alloc(this.#buf.length * 2);
    }
  }
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
