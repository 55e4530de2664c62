/**
 * memory controller. v2 limits RAM (memory.max) and swap (memory.swap.max) separately,
 * so the swap room is written as it is and no ordering is needed. Kernel memory and TCP
 * buffers have no limits of their own: they are charged to memory.max, so `kmem` and
 * `kmemTcp` are ignored. memory.peak and memory.swap.peak exist on newer kernels only.
 */
import { join } from 'node:path';
import { vzError, type CgroupCounter, type CgroupResources, type CgroupStats } from '@vzkit/core';
import { fileExists, limitIn, numberIn, optionalNumberIn, parseKeyedNumbers, readNow, requiredText, writeCgroupFile, type CgroupRead } from '../cgroupfs.js';

type MemoryResources = NonNullable<CgroupResources['memory']>;

/** Bytes as v2 wants them: a non-negative integer, or `max` for no limit (null/Infinity). */
function toFile(name: string, value: number | null): string {
  if (value === null || value === Infinity) return 'max';
  if (!Number.isSafeInteger(value) || value < 0) throw vzError('BAD_VALUE', `memory ${name} ${value}: expected bytes >= 0 or null`);
  return String(value);
}

export async function setMemory(dir: string, res: MemoryResources): Promise<void> {
  // Checked before anything is written, so a bad value changes nothing.
  const max = res.max === undefined ? undefined : toFile('max', res.max);
  const swap = res.swap === undefined ? undefined : toFile('swap', res.swap);
  // low is a protection: "none" is 0 (memory.low = max would shield the whole VE from
  // reclaim, the opposite of v1's unlimited soft limit, which means "never preferred").
  const low = res.low === undefined ? undefined : res.low === null || res.low === Infinity ? '0' : toFile('low', res.low);
  if (max !== undefined) await writeCgroupFile(join(dir, 'memory.max'), max);
  if (swap !== undefined) {
    const path = join(dir, 'memory.swap.max');
    if (await fileExists(path)) await writeCgroupFile(path, swap);
    else if (swap !== 'max') {
      throw vzError('UNSUPPORTED', `memory swap limit needs ${path}, missing: swap accounting is off (CONFIG_MEMCG_SWAP, swapaccount=1)`, { path });
    }
  }
  if (low !== undefined) await writeCgroupFile(join(dir, 'memory.low'), low);
}

/**
 * Kernel memory from memory.stat: `kernel` where the kernel sums it up, else its
 * parts (slab, kernel stacks, page tables, per-cpu); undefined when none is listed.
 */
export function kernelBytes(stat: Record<string, number>): number | undefined {
  if (stat['kernel'] !== undefined) return stat['kernel'];
  const slab = stat['slab'] ?? (stat['slab_reclaimable'] !== undefined || stat['slab_unreclaimable'] !== undefined
    ? (stat['slab_reclaimable'] ?? 0) + (stat['slab_unreclaimable'] ?? 0)
    : undefined);
  const parts = [slab, stat['kernel_stack'], stat['pagetables'], stat['percpu']].filter((n): n is number => n !== undefined);
  return parts.length === 0 ? undefined : parts.reduce((a, b) => a + b, 0);
}

/** The group's memory counters; `read` is how files are read (afresh, or by a sampler). */
export function memoryStats(dir: string, read: CgroupRead = readNow): NonNullable<CgroupStats['memory']> {
  const usage = numberIn(read, `${dir}/memory.current`);
  const events = parseKeyedNumbers(read(`${dir}/memory.events`) ?? '');
  const stat = parseKeyedNumbers(requiredText(read, `${dir}/memory.stat`));
  const stats: NonNullable<CgroupStats['memory']> = {
    usage,
    maxUsage: optionalNumberIn(read, `${dir}/memory.peak`) ?? usage,
    max: limitIn(read, `${dir}/memory.max`),
    // `max`: times usage hit memory.max (and reclaim or the OOM killer had to act).
    failcnt: events['max'] ?? 0,
    stat,
  };
  if (events['oom_kill'] !== undefined) stats.oomKills = events['oom_kill'];

  const swapUsage = optionalNumberIn(read, `${dir}/memory.swap.current`);
  if (swapUsage !== undefined) {
    stats.swapUsage = swapUsage;
    const swap: CgroupCounter = { usage: swapUsage };
    const peak = optionalNumberIn(read, `${dir}/memory.swap.peak`);
    if (peak !== undefined) swap.maxUsage = peak;
    // `max`: swap charges refused at memory.swap.max — the VE's own limit, what OpenVZ's
    // swappages failcnt counts; `fail` would add the host running out of swap.
    const swapEvents = read(`${dir}/memory.swap.events`);
    const refused = swapEvents === undefined ? undefined : parseKeyedNumbers(swapEvents)['max'];
    if (refused !== undefined) swap.failcnt = refused;
    if (read(`${dir}/memory.swap.max`) !== undefined) swap.max = limitIn(read, `${dir}/memory.swap.max`);
    stats.swap = swap;
  }

  const kmem = kernelBytes(stat);
  if (kmem !== undefined) {
    stats.kmemUsage = kmem;
    stats.kmem = { usage: kmem };
  }
  if (stat['sock'] !== undefined) stats.tcp = { usage: stat['sock'] };
  return stats;
}
