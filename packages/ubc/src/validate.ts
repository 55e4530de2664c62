/**
 * Cross-parameter rules: values that parse but contradict each other or what the
 * kernel takes. Each message names the VE and the key at fault.
 */
import { type BarrierLimit } from '@vzkit/core';
import { NR_OPEN } from './plan.js';

/** The smallest RAM limit accepted: below it even init's first pages are refused. */
export const MIN_RAM_BYTES = 4 * 1024 * 1024;

/** The first contradiction found, as `KEY (--flag): reason`; undefined when all agree. */
export function limitsProblem(limits: ReadonlyMap<string, BarrierLimit>, pageSize: number, avnumproc?: BarrierLimit): string | undefined {
  const get = (n: string) => limits.get(n);
  const ram = get('physpages');
  const swap = get('swappages');
  if (swap && Number.isFinite(swap.limit) && !(ram && Number.isFinite(ram.limit))) {
    return 'SWAPPAGES (--swap): a swap limit needs a RAM limit; set PHYSPAGES (--ram) too';
  }
  if (ram && Number.isFinite(ram.limit) && ram.limit * pageSize < MIN_RAM_BYTES) {
    return `PHYSPAGES (--ram): limit ${ram.limit} pages is below the minimum of ${MIN_RAM_BYTES / pageSize} pages (4M)`;
  }
  const numproc = get('numproc');
  if (numproc && numproc.limit < 1) return 'NUMPROC (--numproc): limit 0 leaves no room even for init';
  const numfile = get('numfile');
  if (numfile && Number.isFinite(numfile.limit) && numfile.limit > NR_OPEN) {
    return `NUMFILE (--numfile): limit ${numfile.limit} is above the kernel's maximum of ${NR_OPEN} open files per process`;
  }
  if (numfile && numfile.limit < 3) return 'NUMFILE (--numfile): limit below 3 leaves no room for stdin, stdout and stderr';
  if (avnumproc && numproc && avnumproc.barrier > numproc.limit) {
    return `AVNUMPROC: ${avnumproc.barrier} expected processes on average is above the NUMPROC limit ${numproc.limit}`;
  }
  return undefined;
}
