import { describe, expect, it } from 'vitest';
import { clampRlimits, hasCap, parseHardLimits } from '../src/grantable.js';

describe('grantable limits', () => {
  it('reads hard limits from /proc/self/limits', () => {
    const text = [
      'Limit                     Soft Limit           Hard Limit           Units     ',
      'Max open files            20000                20000                files     ',
      'Max locked memory         8388608              8388608              bytes     ',
      'Max pending signals       96365                unlimited            signals   ',
    ].join('\n');
    expect(parseHardLimits(text)).toEqual(new Map([['NOFILE', 20000], ['MEMLOCK', 8388608], ['SIGPENDING', Infinity]]));
  });

  it('reads a capability from CapEff', () => {
    expect(hasCap('CapEff:\t000001ffffffffff\n', 24n)).toBe(true);
    expect(hasCap('CapEff:\t000001fffeffffff\n', 24n)).toBe(false);
    expect(hasCap('Name:\tx\n', 24n)).toBe(false);
  });

  it('lowers only what is above the ceiling', () => {
    const { rlimits, notes } = clampRlimits([
      { resource: 'NOFILE', soft: 8192, hard: 65536 },
      { resource: 'MEMLOCK', soft: 4096, hard: 4096 },
      { resource: 'SIGPENDING', soft: Infinity, hard: Infinity },
    ], new Map([['NOFILE', 20000], ['MEMLOCK', 8388608], ['SIGPENDING', 1000]]));
    expect(rlimits).toEqual([
      { resource: 'NOFILE', soft: 8192, hard: 20000 },
      { resource: 'MEMLOCK', soft: 4096, hard: 4096 },
      { resource: 'SIGPENDING', soft: 1000, hard: 1000 },
    ]);
    expect(notes).toHaveLength(2);
    expect(clampRlimits([{ resource: 'NOFILE', soft: 1, hard: 9 }], undefined).notes).toEqual([]);
  });
});
