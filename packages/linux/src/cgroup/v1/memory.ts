/**
 * memory controller. v1 limits RAM (limit_in_bytes) and RAM+swap (memsw.limit_in_bytes)
 * and refuses any moment where memsw < limit, so the two writes are ordered by direction.
 */
import { release } from 'node:os';
import { join } from 'node:path';
import { vzError, type CgroupCounter, type CgroupResources, type CgroupStats } from '@vzkit/core';
import { fileExists, numberIn, optionalNumberIn, parseKeyedNumbers, readNow, readNumber, requiredText, writeCgroupFile, writeCgroupFileNow, type CgroupRead } from '../cgroupfs.js';

type MemoryResources = NonNullable<CgroupResources['memory']>;

const LIMIT = 'memory.limit_in_bytes';
const MEMSW = 'memory.memsw.limit_in_bytes';

/**
 * Whether a v1 `memory.memsw.failcnt` counts anything on kernel `rel`. Since Linux 6.13
 * (mm: page_counter: track failcnt only for legacy cgroups) the page counter counts
 * refusals only of the `memory` counter: memsw's file stays but reads 0 forever —
 * measured on 6.18 with an OOM at the memsw limit (memsw is charged first, so the RAM
 * counter never sees that refusal either). A counter that does not count is left out.
 */
export function memswFailuresCounted(rel: string): boolean {
  const m = /^(\d+)\.(\d+)/.exec(rel);
  return !m || Number(m[1]) < 6 || (Number(m[1]) === 6 && Number(m[2]) < 13);
}

const MEMSW_FAILCNT = memswFailuresCounted(release());

/** Bytes as v1 wants them: a non-negative integer, or -1 for no limit (Infinity/null). */
function toFile(name: string, value: number | null): number {
  if (value === null || value === Infinity) return -1;
  if (!Number.isSafeInteger(value) || value < 0) throw vzError('BAD_VALUE', `memory ${name} ${value}: expected bytes >= 0 or null`);
  return value;
}

/** File value back to bytes, -1 meaning unlimited. */
function infinite(value: number): number {
  return value === -1 ? Infinity : value;
}

/** kmem limits only set the counter's max (the kernel refuses one below usage, EBUSY): nothing to wait for. */
async function writeIfPresent(path: string, value: number): Promise<void> {
  if (await fileExists(path)) await writeCgroupFileNow(path, value);
}

export async function setMemory(dir: string, res: MemoryResources): Promise<void> {
  if (res.max !== undefined || res.swap !== undefined) await setLimitAndSwap(dir, res.max, res.swap);
  // A soft limit is only recorded; reclaim toward it happens later, under pressure.
  if (res.low !== undefined) await writeCgroupFileNow(join(dir, 'memory.soft_limit_in_bytes'), toFile('low', res.low));
  // Recent kernels accept and ignore kmem limits; kernels without kmem accounting lack the files.
  if (res.kmem !== undefined) await writeIfPresent(join(dir, 'memory.kmem.limit_in_bytes'), toFile('kmem', res.kmem));
  if (res.kmemTcp !== undefined) await writeIfPresent(join(dir, 'memory.kmem.tcp.limit_in_bytes'), toFile('kmemTcp', res.kmemTcp));
}

/** One control-file write, in the order it must happen. */
export interface FileWrite { file: string; value: number }

/**
 * The writes that move limit and memsw from `current` to the requested max and swap
 * (Infinity = unlimited, undefined = keep). `swap` is the room on top of `max`, so
 * `{ max }` alone keeps the current swap room. The kernel rejects any moment where
 * memsw < limit: when the new memsw is above the current limit it goes first, otherwise
 * the limit is lowered first.
 */
export function limitAndSwapWrites(current: { limit: number; memsw: number }, max: number | undefined, swap: number | undefined): FileWrite[] {
  const limit = max ?? current.limit;
  const curSwap = current.memsw === Infinity ? Infinity : current.memsw - current.limit;
  const memsw = limit + (swap ?? curSwap);
  const writes = [
    { file: LIMIT, value: toFile('max', limit) },
    { file: MEMSW, value: toFile('max+swap', memsw) },
  ];
  return memsw > current.limit ? writes.reverse() : writes;
}

async function setLimitAndSwap(dir: string, max: number | null | undefined, swap: number | null | undefined): Promise<void> {
  const limitPath = join(dir, LIMIT);
  const memswPath = join(dir, MEMSW);
  const maxBytes = max === undefined ? undefined : infinite(toFile('max', max));
  const swapBytes = swap === undefined ? undefined : infinite(toFile('swap', swap));

  if (!(await fileExists(memswPath))) {
    if (swapBytes !== undefined && swapBytes !== Infinity) {
      throw vzError('UNSUPPORTED', `memory swap limit needs ${memswPath}, missing: swap accounting is off (boot with swapaccount=1)`, { path: memswPath });
    }
    if (maxBytes !== undefined) await writeLimit(dir, LIMIT, toFile('max', maxBytes));
    return;
  }
  const current = { limit: await readNumber(limitPath), memsw: await readNumber(memswPath) };
  for (const w of limitAndSwapWrites(current, maxBytes, swapBytes)) await writeLimit(dir, w.file, w.value);
}

/** The usage file of each limit file: a limit below it makes the write reclaim first. */
const USAGE: Record<string, string> = { [LIMIT]: 'memory.usage_in_bytes', [MEMSW]: 'memory.memsw.usage_in_bytes' };

/**
 * A limit at or above the counter's usage is applied at once (always so for a VE's fresh
 * group at start), and is written synchronously; only a lower one makes the kernel
 * reclaim in the write, which may take long, so that one goes through the thread pool.
 * Usage that grows between the read and the write is reclaimed in the write, a few
 * pages at most.
 */
async function writeLimit(dir: string, file: string, value: number): Promise<void> {
  const path = join(dir, file);
  const usage = value === -1 ? 0 : await readNumber(join(dir, USAGE[file]!)).catch(() => Infinity);
  if (value === -1 || value >= usage) await writeCgroupFileNow(path, value);
  else await writeCgroupFile(path, value);
}

/** The group's memory counters; `read` is how files are read (afresh, or by a sampler). */
export function memoryStats(dir: string, read: CgroupRead = readNow): NonNullable<CgroupStats['memory']> {
  const usage = numberIn(read, `${dir}/memory.usage_in_bytes`);
  const max = numberIn(read, `${dir}/${LIMIT}`);
  const stats: NonNullable<CgroupStats['memory']> = {
    usage,
    maxUsage: numberIn(read, `${dir}/memory.max_usage_in_bytes`),
    max: max === Infinity ? null : max,
    failcnt: numberIn(read, `${dir}/memory.failcnt`),
    stat: parseKeyedNumbers(requiredText(read, `${dir}/memory.stat`)),
  };
  const memsw = counter(dir, 'memory.memsw.', read);
  if (memsw !== undefined) {
    stats.swapUsage = Math.max(0, memsw.usage - usage);
    // memsw counts RAM + swap: its usage and limit less the RAM ones are swap alone;
    // peak and failcnt only exist for the sum (the failcnt: refusals once RAM and swap
    // room are both used up, where the kernel still counts them).
    const swap: CgroupCounter = { usage: stats.swapUsage };
    if (memsw.maxUsage !== undefined) swap.maxUsage = memsw.maxUsage;
    if (memsw.failcnt !== undefined && MEMSW_FAILCNT) swap.failcnt = memsw.failcnt;
    if (memsw.max !== undefined) swap.max = memsw.max === null || max === Infinity ? null : Math.max(0, memsw.max - max);
    stats.swap = swap;
  }
  const kmem = counter(dir, 'memory.kmem.', read);
  if (kmem !== undefined) {
    stats.kmemUsage = kmem.usage;
    stats.kmem = kmem;
  }
  const tcp = counter(dir, 'memory.kmem.tcp.', read);
  if (tcp !== undefined) stats.tcp = tcp;
  const oom = read(`${dir}/memory.oom_control`);
  const oomKills = oom === undefined ? undefined : parseKeyedNumbers(oom)['oom_kill'];
  if (oomKills !== undefined) stats.oomKills = oomKills;
  return stats;
}

/**
 * One v1 page counter (`<prefix>usage_in_bytes`, `max_usage_in_bytes`, `failcnt`,
 * `limit_in_bytes`), or undefined when this kernel has no usage file for it. Each
 * other file is read where it exists and left out where it does not.
 */
export function counter(dir: string, prefix: string, read: CgroupRead = readNow): CgroupCounter | undefined {
  const usage = optionalNumberIn(read, `${dir}/${prefix}usage_in_bytes`);
  if (usage === undefined) return undefined;
  const out: CgroupCounter = { usage };
  const maxUsage = optionalNumberIn(read, `${dir}/${prefix}max_usage_in_bytes`);
  if (maxUsage !== undefined) out.maxUsage = maxUsage;
  const failcnt = optionalNumberIn(read, `${dir}/${prefix}failcnt`);
  if (failcnt !== undefined) out.failcnt = failcnt;
  const limit = optionalNumberIn(read, `${dir}/${prefix}limit_in_bytes`);
  if (limit !== undefined) out.max = limit === Infinity ? null : limit;
  return out;
}
