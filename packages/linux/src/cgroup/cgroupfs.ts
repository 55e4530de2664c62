/**
 * Reading and writing cgroup control files. Every kernel refusal becomes a VzError that
 * names the file and the value, carrying errno and path, because "EINVAL" alone never
 * tells which of a dozen limit writes went wrong. Reads are synchronous: cgroupfs files
 * are generated on read and never wait for a disk, and the thread-pool round trips of
 * async reads were most of the cost of `vzubc`/`vzlist` over many VEs.
 */
import { accessSync, readFileSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { vzError } from '@vzkit/core';

/** v1 reports "unlimited" as PAGE_COUNTER_MAX in bytes (~2^63); anything this big means no limit. */
export const UNLIMITED_THRESHOLD = 2 ** 62;

export function errnoOf(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : undefined;
}

export async function readCgroupFile(path: string): Promise<string> {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const errno = errnoOf(e);
    throw vzError('SYSTEM', `read ${path}: ${errno ?? String(e)}`, { errno, path, cause: e });
  }
}

/** Reads a file, or undefined when it does not exist (a controller feature this kernel lacks). */
export async function readOptional(path: string): Promise<string | undefined> {
  return readNow(path);
}

/**
 * Writes a control file the kernel applies at once (device rules, pids.max, CPU shares
 * and quota, cpuset lists, io limits) synchronously: a start writes a dozen or more, and
 * each async write is a thread-pool round trip of the event loop's. Writes that can wait
 * in the kernel stay with {@link writeCgroupFile}: membership (cgroup.procs waits for the
 * threadgroup lock), memory limits (a lower one reclaims first), the freezer.
 */
export async function writeCgroupFileNow(path: string, value: string | number): Promise<void> {
  const text = String(value);
  try {
    writeFileSync(path, text);
  } catch (e) {
    const errno = errnoOf(e);
    throw vzError('SYSTEM', `write ${text} to ${path}: ${errno ?? String(e)}`, { errno, path, cause: e });
  }
}

export async function writeCgroupFile(path: string, value: string | number): Promise<void> {
  const text = String(value);
  try {
    await writeFile(path, text);
  } catch (e) {
    const errno = errnoOf(e);
    throw vzError('SYSTEM', `write ${text} to ${path}: ${errno ?? String(e)}`, { errno, path, cause: e });
  }
}

export async function fileExists(path: string): Promise<boolean> {
  try {
    accessSync(path);
    return true;
  } catch {
    return false;
  }
}

/** A single-number file; v1 "unlimited" values come back as Infinity. */
export async function readNumber(path: string): Promise<number> {
  const text = (await readCgroupFile(path)).trim();
  const n = Number(text);
  if (text === '' || !Number.isFinite(n)) {
    throw vzError('SYSTEM', `read ${path}: not a number: ${JSON.stringify(text.slice(0, 40))}`, { path });
  }
  return n >= UNLIMITED_THRESHOLD ? Infinity : n;
}

/** A v2 limit file (`pids.max`, `memory.max`): a number, or null for `max`. */
export async function readLimit(path: string): Promise<number | null> {
  const text = (await readCgroupFile(path)).trim();
  if (text === 'max') return null;
  const n = Number(text);
  if (text === '' || !Number.isFinite(n)) {
    throw vzError('SYSTEM', `read ${path}: not a number or max: ${JSON.stringify(text.slice(0, 40))}`, { path });
  }
  return n;
}

/**
 * How the stats code reads a control file: its text, or undefined when the file does not
 * exist (a feature this kernel lacks). {@link readNow} opens it afresh; a sampler
 * (sampler.ts) rereads descriptors it keeps open.
 */
export type CgroupRead = (path: string) => string | undefined;

export const readNow: CgroupRead = (path) => {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return undefined;
    const errno = errnoOf(e);
    throw vzError('SYSTEM', `read ${path}: ${errno ?? String(e)}`, { errno, path, cause: e });
  }
};

/** The text of a file that must exist. */
export function requiredText(read: CgroupRead, path: string): string {
  const text = read(path);
  if (text === undefined) throw vzError('SYSTEM', `read ${path}: ENOENT`, { errno: 'ENOENT', path });
  return text;
}

/** {@link readNumber} through a reader. */
export function numberIn(read: CgroupRead, path: string): number {
  const text = requiredText(read, path).trim();
  const n = Number(text);
  if (text === '' || !Number.isFinite(n)) {
    throw vzError('SYSTEM', `read ${path}: not a number: ${JSON.stringify(text.slice(0, 40))}`, { path });
  }
  return n >= UNLIMITED_THRESHOLD ? Infinity : n;
}

/** A number file that may be missing (v1's huge "unlimited" as Infinity). */
export function optionalNumberIn(read: CgroupRead, path: string): number | undefined {
  return read(path) === undefined ? undefined : numberIn(read, path);
}

/** {@link readLimit} through a reader. */
export function limitIn(read: CgroupRead, path: string): number | null {
  const text = requiredText(read, path).trim();
  if (text === 'max') return null;
  const n = Number(text);
  if (text === '' || !Number.isFinite(n)) {
    throw vzError('SYSTEM', `read ${path}: not a number or max: ${JSON.stringify(text.slice(0, 40))}`, { path });
  }
  return n;
}

/** Parses `key value` lines (memory.stat, cpu.stat, pids.events, cgroup.events) into numbers. */
export function parseKeyedNumbers(text: string): Record<string, number> {
  // By hand rather than split(/\s+/): memory.stat of every VE is parsed at each metrics scrape.
  const out: Record<string, number> = {};
  let at = 0;
  while (at < text.length) {
    let end = text.indexOf('\n', at);
    if (end < 0) end = text.length;
    let k = at;
    while (k < end && (text.charCodeAt(k) === 32 || text.charCodeAt(k) === 9)) k++;
    let sp = k;
    while (sp < end && text.charCodeAt(sp) !== 32 && text.charCodeAt(sp) !== 9) sp++;
    if (sp > k && sp < end) {
      let v = sp;
      while (v < end && (text.charCodeAt(v) === 32 || text.charCodeAt(v) === 9)) v++;
      let ve = v;
      while (ve < end && text.charCodeAt(ve) !== 32 && text.charCodeAt(ve) !== 9 && text.charCodeAt(ve) !== 13) ve++;
      if (ve > v) {
        const n = Number(text.slice(v, ve));
        if (Number.isFinite(n)) out[text.slice(k, sp)] = n;
      }
    }
    at = end + 1;
  }
  return out;
}

/** Parses cgroup.procs / tasks: one pid per line. */
export function parsePids(text: string): number[] {
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => Number(l.trim())).filter((n) => Number.isInteger(n) && n > 0);
}
