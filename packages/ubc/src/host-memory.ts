/**
 * What the capacity tools (vzsplit, vzmemcheck, vzcalc, vzcfgvalidate) know of the
 * host: its RAM and swap from /proc/meminfo, and how many tasks it can run.
 */
import type { Host } from '@vzkit/core';

export interface HostMemory {
  /** Bytes of RAM (MemTotal). */
  ram: number;
  /** Bytes of swap (SwapTotal). */
  swap: number;
  /**
   * Bytes the kernel may use for itself (LowTotal on 32-bit kernels; all RAM on 64-bit
   * ones, which have no low memory), of which OpenVZ's tools count 40 %.
   */
  lowmem: number;
  pageSize: number;
  /** Tasks the host can have at once: the smaller of threads-max and pid_max. */
  tasks: number;
}

/** OpenVZ's share of low memory the kernel objects of VEs may take. */
export const LOWMEM_SHARE = 0.4;

const kb = (meminfo: string, field: string): number | undefined => {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(meminfo);
  return m ? Number(m[1]) * 1024 : undefined;
};

export function parseMeminfo(meminfo: string): { ram: number; swap: number; lowmem: number } {
  const ram = kb(meminfo, 'MemTotal') ?? 0;
  return { ram, swap: kb(meminfo, 'SwapTotal') ?? 0, lowmem: (kb(meminfo, 'LowTotal') ?? ram) * LOWMEM_SHARE };
}

export async function hostMemory(host: Host): Promise<HostMemory> {
  const m = parseMeminfo(await host.fs.readFile('/proc/meminfo'));
  const num = async (path: string) => Number((await host.fs.readFile(path).catch(() => '')).trim()) || Infinity;
  const tasks = Math.min(await num('/proc/sys/kernel/threads-max'), await num('/proc/sys/kernel/pid_max'));
  return { ...m, pageSize: host.system.pageSize, tasks: Number.isFinite(tasks) ? tasks : 32768 };
}
