import { describe, expect, it } from 'vitest';
import { UNLIMITED } from '@vzkit/core';
import { AVNUMPROC, UBC_KEYS, UBC_PARAMS, ubcKey } from '../src/index.js';

describe('beancounter keys', () => {
  it('declares every OpenVZ parameter with its flag, live', () => {
    expect(UBC_PARAMS.map((p) => p.name)).toEqual([
      'kmemsize', 'lockedpages', 'privvmpages', 'shmpages', 'numproc', 'physpages', 'vmguarpages', 'oomguarpages',
      'numtcpsock', 'numflock', 'numpty', 'numsiginfo', 'tcpsndbuf', 'tcprcvbuf', 'othersockbuf', 'dgramrcvbuf',
      'numothersock', 'dcachesize', 'numfile', 'numiptent', 'swappages',
    ]);
    for (const p of UBC_PARAMS) {
      const key = ubcKey(p.name);
      expect(key.name).toBe(p.name.toUpperCase());
      expect(key.flag).toBe(p.name);
      expect(key.live).toBe(true);
    }
    expect(AVNUMPROC.flag).toBeUndefined();
  });

  it.each(UBC_PARAMS.map((p) => p.name))('%s round-trips barrier:limit, a single value and unlimited', (name) => {
    const t = ubcKey(name).type;
    for (const text of ['100:200', '300', 'unlimited', '0:unlimited']) expect(t.format(t.parse(text))).toBe(text);
    expect(t.parse('5')).toEqual({ barrier: 5, limit: 5 });
    expect(t.parse('9223372036854775807')).toEqual({ barrier: UNLIMITED, limit: UNLIMITED });
  });

  it('reads sizes in the unit of the parameter: pages, bytes, or items without suffix', () => {
    expect(ubcKey('physpages').type.parse('0:512M')).toEqual({ barrier: 0, limit: 131072 });
    expect(ubcKey('kmemsize').type.parse('14M')).toEqual({ barrier: 14680064, limit: 14680064 });
    expect(ubcKey('lockedpages').type.parse('100P')).toEqual({ barrier: 100, limit: 100 });
    expect(() => ubcKey('numproc').type.parse('1K')).toThrow(/takes no suffix/);
  });

  it('refuses a barrier above the limit and malformed values', () => {
    const t = ubcKey('numproc').type;
    expect(() => t.parse('200:100')).toThrow(/barrier 200 is above limit 100/);
    for (const bad of ['', '1:2:3', 'abc', '-5', '5:']) expect(() => t.parse(bad)).toThrow();
  });

  it('--ram and --swap set PHYSPAGES and SWAPPAGES to 0:SIZE as vzctl writes them', () => {
    const ram = UBC_KEYS.get('physpages')!.editFlags!.find((e) => e.flag === 'ram')!;
    const swap = UBC_KEYS.get('swappages')!.editFlags!.find((e) => e.flag === 'swap')!;
    expect(ubcKey('physpages').type.format(ram.apply(undefined, '512M'))).toBe('0:131072');
    expect(ubcKey('swappages').type.format(swap.apply(undefined, '1G'))).toBe('0:262144');
    expect(swap.apply(undefined, '0')).toEqual({ barrier: 0, limit: 0 });
    expect(() => ram.apply(undefined, '0')).toThrow(/needs some RAM/);
    expect(() => ram.apply(undefined, 'lots')).toThrow();
  });
});
