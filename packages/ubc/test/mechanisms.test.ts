import { describe, expect, it } from 'vitest';
import type { BarrierLimit, CgroupStats } from '@vzkit/core';
import { mechanisms } from '../src/index.js';

const facts = { cgroupVersion: 1 as const, pageSize: 4096, swapTotal: 0 };
const L = (o: Record<string, number>) => new Map(Object.entries(o).map(([k, l]): [string, BarrierLimit] => [k, { barrier: l, limit: l }]));
const stats = (memory: Partial<NonNullable<CgroupStats['memory']>>, pidsMax: number | null = null): CgroupStats => ({
  pids: { current: 1, max: pidsMax, failcnt: 0 },
  memory: { usage: 0, maxUsage: 0, max: null, failcnt: 0, stat: {}, ...memory },
});

describe('mechanisms', () => {
  it('calls a cgroup limit enforced only when the kernel reads it back', () => {
    const m = mechanisms(facts, stats({ max: 64 * 2 ** 20, kmem: { usage: 1, max: null }, tcp: { usage: 0, max: 8192 } }, 100), L({ numproc: 100, physpages: 16384, kmemsize: 1000, tcpsndbuf: 4096, tcprcvbuf: 4096 }));
    expect(m.get('numproc')!.status).toBe('enforced');
    expect(m.get('physpages')!.status).toBe('enforced');
    expect(m.get('tcpsndbuf')!.status).toBe('enforced');
    // Written, accepted, ignored: kmem reads back unlimited.
    expect(m.get('kmemsize')!.status).toBe('accounted');
  });

  it('downgrades a limit the kernel did not keep', () => {
    const m = mechanisms(facts, stats({ max: null }, null), L({ numproc: 100, physpages: 16384 }));
    expect(m.get('numproc')!.status).toBe('accounted');
    expect(m.get('physpages')!.status).toBe('accounted');
  });

  it('calls swap accounted on a host without swap, enforced with it, unsupported without swap accounting', () => {
    expect(mechanisms(facts, stats({ swap: { usage: 0, max: null } })).get('swappages')!.status).toBe('accounted');
    expect(mechanisms({ ...facts, swapTotal: 2 ** 30 }, stats({ swap: { usage: 0, max: null } })).get('swappages')!.status).toBe('enforced');
    expect(mechanisms(facts, stats({})).get('swappages')!.status).toBe('unsupported');
  });

  it('says that per-process rlimits do not limit the VE as a whole', () => {
    const m = mechanisms(facts, undefined);
    for (const name of ['numfile', 'lockedpages']) {
      expect(m.get(name)!.status).toBe('accounted');
      expect(m.get(name)!.how).toMatch(/caps each process, not the VE/);
    }
    expect(m.get('numsiginfo')!.status).toBe('unsupported');
    expect(m.get('numiptent')!.status).toBe('unsupported');
  });
});
