import { describe, expect, it } from 'vitest';
import { ConfigFile, VeConfig, type ConfigKey } from '@vzkit/core';
import { DISKINODES, DISKSPACE, QUOTA_KEYS, QUOTAUGIDLIMIT, quotaLimits, softHard } from '../src/index.js';

const space = softHard('kb');
const inodes = softHard('items');

function config(text: string): VeConfig {
  const keys = new Map<string, ConfigKey<any>>(QUOTA_KEYS.map((k) => [k.name, k]));
  return new VeConfig('CT 101', { global: ConfigFile.empty(), ve: ConfigFile.parse(text) }, keys, { global: 'vz.conf', ve: '101.conf' });
}

describe('DISKSPACE and DISKINODES values', () => {
  it.each([
    ['1048576', { soft: 1048576, hard: 1048576 }],
    ['50M:60M', { soft: 51200, hard: 61440 }],
    ['2G:2.2G', { soft: 2097152, hard: 2306867 }],
    ['1T', { soft: 1073741824, hard: 1073741824 }],
    ['100P:200P', { soft: 400, hard: 800 }],
    ['2048B', { soft: 2, hard: 2 }],
  ])('space %s → %j (1 KiB blocks, as vzctl)', (raw, want) => {
    expect(space.parse(raw)).toEqual(want);
  });

  it('writes soft:hard always, as vzctl saves them', () => {
    expect(space.format({ soft: 10, hard: 10 })).toBe('10:10');
    expect(inodes.format({ soft: 5, hard: 7 })).toBe('5:7');
  });

  it.each([
    ['lots', /not a number/],
    ['60M:50M', /soft limit 61440 is above hard limit 51200/],
    ['1:2:3', /not soft\[:hard\]/],
    [':5', /not soft\[:hard\]/],
    ['1G:unlimited', /stands for the whole value/],
    ['unlimited:1G', /stands for the whole value/],
    ['1.5', /needs a suffix/],
  ])('space %s is refused', (raw, why) => {
    expect(() => space.parse(raw)).toThrow(why);
  });

  it('unlimited, the whole value, is no limit: saved as unlimited, and no quota for the VE', () => {
    expect(space.format(space.parse('unlimited'))).toBe('unlimited');
    expect(space.format(space.parse('unlimited:unlimited'))).toBe('unlimited');
    expect(inodes.format(inodes.parse('unlimited'))).toBe('unlimited');
  });

  it('inodes take no suffix', () => {
    expect(inodes.parse('131072:144179')).toEqual({ soft: 131072, hard: 144179 });
    expect(() => inodes.parse('10K')).toThrow(/takes no suffix/);
  });

  it('QUOTAUGIDLIMIT changes live between numbers; on and off wait for a restart', () => {
    const live = QUOTAUGIDLIMIT.live as (b: number | undefined, a: number | undefined) => boolean;
    expect(live(100, 200)).toBe(true);
    expect(live(0, 0)).toBe(true);
    expect(live(0, 100)).toBe(false);
    expect(live(100, 0)).toBe(false);
    expect(live(undefined, 5)).toBe(false);
  });
});

describe('quotaLimits', () => {
  it('reads the keys, with the 3-day grace vzctl passes when QUOTATIME is unset', () => {
    expect(quotaLimits(config('DISKSPACE="50M:60M"\nDISKINODES="1000:2000"\n'))).toEqual({
      space: { soft: 51200, hard: 61440 }, inodes: { soft: 1000, hard: 2000 }, grace: 259200, ugid: 0,
    });
  });

  it('DISK_QUOTA=no turns the limits off', () => {
    expect(quotaLimits(config('DISK_QUOTA="no"\nDISKSPACE="1G"\n')).space).toBeUndefined();
  });

  it('declares the flags vzctl has', () => {
    expect([DISKSPACE.flag, DISKINODES.flag, ...QUOTA_KEYS.map((k) => k.flag)]).toEqual(expect.arrayContaining(['diskspace', 'diskinodes', 'quotatime', 'quotaugidlimit', 'diskquota']));
  });
});
