/**
 * A VE's share of the host's memory, as vzmemcheck and vzcalc count it: what it uses
 * now (held) and what it was promised (its limits and guarantees), as fractions of the
 * host's low memory (kernel objects), RAM, RAM + swap and tasks. The columns are
 * OpenVZ's; what fills them is the VSwap reading: the RAM and swap limits are the
 * promise that holds, an unset limit is a promise of the whole host, an unset guarantee
 * (vmguarpages, oomguarpages) a promise of nothing.
 */
import type { BarrierLimit, StatRow } from '@vzkit/core';
import type { HostMemory } from './host-memory.js';

/** Kernel-memory beancounters that together are OpenVZ's "kmem + net buffers". */
const KERNEL_LIMITS = ['kmemsize', 'tcpsndbuf', 'tcprcvbuf', 'othersockbuf', 'dgramrcvbuf'];

export interface VeMemoryInput {
  /** Counters of the running VE (held in each parameter's unit); empty when stopped. */
  stats: ReadonlyMap<string, StatRow>;
  /** The limits it has (unset parameters are absent). */
  limits: ReadonlyMap<string, BarrierLimit>;
}

/** Fractions (1 = all of it) of the host's resources. */
export interface MemoryShares {
  lowUtil: number;
  lowCommit: number;
  ramUtil: number;
  ramMax: number;
  memSwapUtil: number;
  /** The OOM guarantee (oomguarpages barrier). */
  memSwapPromised: number;
  /** RAM + swap limits: what the VE may take. */
  memSwapCommit: number;
  allocUtil: number;
  /** The allocation guarantee (vmguarpages barrier). */
  allocCommit: number;
  allocLimit: number;
  procUtil: number;
  procMax: number;
}

export function memoryShares(ve: VeMemoryInput, mem: HostMemory): MemoryShares {
  const ps = mem.pageSize;
  const held = (name: string) => ve.stats.get(name)?.held ?? 0;
  const limit = (name: string) => ve.limits.get(name)?.limit ?? Infinity;
  const guarantee = (name: string) => ve.limits.get(name)?.barrier ?? 0;
  const share = (bytes: number, whole: number) => (whole > 0 ? Math.min(bytes, whole) / whole : 0);
  const total = mem.ram + mem.swap;
  // send and receive buffers are one kernel counter: tcpsndbuf holds both.
  const kernelHeld = held('kmemsize') + held('tcpsndbuf');
  const kernelLimit = KERNEL_LIMITS.reduce((sum, n) => sum + limit(n), 0);
  const ramLimit = limit('physpages') * ps;
  const swapLimit = Number.isFinite(limit('swappages')) ? limit('swappages') * ps : mem.swap;
  return {
    lowUtil: share(kernelHeld, mem.lowmem),
    lowCommit: share(kernelLimit, mem.lowmem),
    ramUtil: share(held('physpages') * ps, mem.ram),
    ramMax: share(ramLimit, mem.ram),
    memSwapUtil: share((held('physpages') + held('swappages')) * ps, total),
    memSwapPromised: share(guarantee('oomguarpages') * ps, total),
    memSwapCommit: share(ramLimit + swapLimit, total),
    allocUtil: share(held('privvmpages') * ps, total),
    allocCommit: share(guarantee('vmguarpages') * ps, total),
    allocLimit: share(limit('privvmpages') * ps, total),
    procUtil: share(held('numproc'), mem.tasks),
    procMax: share(limit('numproc'), mem.tasks),
  };
}
