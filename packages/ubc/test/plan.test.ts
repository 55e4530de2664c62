import { describe, expect, it } from 'vitest';
import type { BarrierLimit } from '@vzkit/core';
import { planLimits } from '../src/index.js';
import { limitsProblem } from '../src/validate.js';

const L = (o: Record<string, [number, number]>) => new Map(Object.entries(o).map(([k, [b, l]]): [string, BarrierLimit] => [k, { barrier: b, limit: l }]));
const PS = 4096;

describe('planLimits', () => {
  it('leaves everything unlimited when nothing is set', () => {
    const p = planLimits(new Map(), PS);
    expect(p.cgroup).toEqual({ pids: { max: null }, memory: { max: null, low: null, kmem: null, kmemTcp: null } });
    expect(p.rlimits).toEqual([]);
    expect(p.ptyMax).toBe(1048576);
    expect(p.devShmSize).toBe('50%');
    expect(p.shmall).toBe('18446744073692774399');
  });

  it('maps numproc to pids.max and the vswap pair to the RAM limit and the swap room', () => {
    const p = planLimits(L({ numproc: [100, 100], physpages: [0, 16384], swappages: [0, 32768] }), PS);
    expect(p.cgroup.pids).toEqual({ max: 100 });
    expect(p.cgroup.memory).toMatchObject({ max: 64 * 2 ** 20, swap: 128 * 2 ** 20 });
  });

  it('gives no swap room without a RAM limit', () => {
    expect(planLimits(L({ swappages: [0, 100] }), PS).cgroup.memory).not.toHaveProperty('swap');
  });

  it('limits TCP buffers by the sum of tcpsndbuf and tcprcvbuf limits; oomguarpages barrier is the protection', () => {
    const p = planLimits(L({ tcpsndbuf: [1000, 3000], tcprcvbuf: [1000, 5000], oomguarpages: [256, Infinity], kmemsize: [1, 2] }), PS);
    expect(p.cgroup.memory).toMatchObject({ kmemTcp: 8000, low: 256 * PS, kmem: 2 });
    expect(planLimits(L({ tcpsndbuf: [1000, 3000] }), PS).cgroup.memory?.kmemTcp).toBeNull();
  });

  it('turns lockedpages, numfile and numsiginfo into rlimits (soft barrier, hard limit)', () => {
    const p = planLimits(L({ lockedpages: [10, 20], numfile: [1000, 2000], numsiginfo: [50, 50] }), PS);
    expect(p.rlimits).toEqual([
      { resource: 'MEMLOCK', soft: 10 * PS, hard: 20 * PS },
      { resource: 'NOFILE', soft: 1000, hard: 2000 },
      { resource: 'SIGPENDING', soft: 50, hard: 50 },
    ]);
  });

  it('reads a zero barrier as "soft = limit" and leaves an unlimited numfile to the inherited limit', () => {
    expect(planLimits(L({ numfile: [0, 4096] }), PS).rlimits).toEqual([{ resource: 'NOFILE', soft: 4096, hard: 4096 }]);
    expect(planLimits(L({ numfile: [Infinity, Infinity] }), PS).rlimits).toEqual([]);
    expect(planLimits(L({ lockedpages: [Infinity, Infinity] }), PS).rlimits).toEqual([{ resource: 'MEMLOCK', soft: Infinity, hard: Infinity }]);
  });

  it('sizes shared memory (shmall pages, shmmax and /dev/shm bytes) and ptys', () => {
    const p = planLimits(L({ shmpages: [8192, 8192], numpty: [16, 16] }), PS);
    expect(p).toMatchObject({ shmall: '8192', shmmax: String(8192 * PS), devShmSize: String(8192 * PS), ptyMax: 16 });
  });
});

describe('limitsProblem', () => {
  it('accepts a consistent set', () => {
    expect(limitsProblem(L({ physpages: [0, 65536], swappages: [0, 65536], numproc: [100, 100], numfile: [0, 4096] }), PS)).toBeUndefined();
  });

  it.each([
    [{ swappages: [0, 100] }, /SWAPPAGES \(--swap\): a swap limit needs a RAM limit/],
    [{ physpages: [0, 100] }, /PHYSPAGES \(--ram\): limit 100 pages is below the minimum of 1024 pages/],
    [{ numproc: [0, 0] }, /NUMPROC \(--numproc\): limit 0 leaves no room/],
    [{ numfile: [10, 2_000_000] }, /NUMFILE \(--numfile\): limit 2000000 is above the kernel's maximum/],
    [{ numfile: [0, 2] }, /NUMFILE \(--numfile\): limit below 3/],
  ] as Array<[Record<string, [number, number]>, RegExp]>)('refuses %j', (limits, why) => {
    expect(limitsProblem(L(limits), PS)).toMatch(why);
  });

  it('refuses an AVNUMPROC above the NUMPROC limit', () => {
    expect(limitsProblem(L({ numproc: [50, 50] }), PS, { barrier: 80, limit: 80 })).toMatch(/AVNUMPROC: 80 expected processes/);
  });
});
