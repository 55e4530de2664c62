/** How the backup tools talk while they work: progress lines on stderr, sizes for people. */
import type { Progress } from './archive.js';

/** `12.3 MiB`, `512 B`. */
export function size(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** `45 ms`, `1.2 s`, `3 min 4 s`. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** A progress line's tail: `1203 files, 45.2 MiB (38.1 MiB/s)`. */
export function progressLine(p: Progress, since: number, now = Date.now()): string {
  const secs = Math.max((now - since) / 1000, 0.001);
  return `${p.files} files, ${size(p.bytes)} (${size(p.bytes / secs)}/s)`;
}

/** A sink for progress lines that may be silenced (`--quiet`). */
export type Say = (line: string) => void;
