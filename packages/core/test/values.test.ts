import { describe, expect, it } from 'vitest';
import { barrierLimit, integer, list, parseSize, UNLIMITED, ValueError, yesNo, text } from '../src/values.js';

describe('value types', () => {
  it('parses sizes in the unit of the key, with 1024-based suffixes and P for pages', () => {
    expect(parseSize('256M', 'pages')).toBe(65536);
    expect(parseSize('2.5G', 'bytes')).toBe(2.5 * 1024 ** 3);
    expect(parseSize('100P', 'bytes')).toBe(409600);
    expect(parseSize('1G', 'kb')).toBe(1048576);
    expect(parseSize('12', 'pages')).toBe(12);
    expect(parseSize('unlimited', 'pages')).toBe(UNLIMITED);
    expect(parseSize('9223372036854775807', 'bytes')).toBe(UNLIMITED);
  });

  it.each([['12K', 'items'], ['1.5', 'bytes'], ['-3', 'bytes'], ['ten', 'pages'], ['', 'bytes']] as const)(
    'refuses %s for %s', (raw, unit) => {
      expect(() => parseSize(raw, unit)).toThrow(ValueError);
    });

  it('barrier:limit — one value sets both, barrier may not exceed limit', () => {
    const t = barrierLimit('items');
    expect(t.parse('240')).toEqual({ barrier: 240, limit: 240 });
    expect(t.parse('240:300')).toEqual({ barrier: 240, limit: 300 });
    expect(t.parse('0:unlimited')).toEqual({ barrier: 0, limit: UNLIMITED });
    expect(t.format({ barrier: 1, limit: UNLIMITED })).toBe('1:unlimited');
    expect(t.format({ barrier: 5, limit: 5 })).toBe('5');
    expect(() => t.parse('300:200')).toThrow(/barrier 300 is above limit 200/);
    expect(() => t.parse('1:2:3')).toThrow(ValueError);
    expect(() => t.parse(':2')).toThrow(ValueError);
  });

  it('integers with ranges, yes/no, text, lists', () => {
    expect(integer({ min: 8, max: 500000 }).parse('1000')).toBe(1000);
    expect(() => integer({ min: 8, max: 500000 }).parse('7')).toThrow(/out of range/);
    expect(() => integer().parse('1e3')).toThrow(/whole number/);
    expect(yesNo.parse('YES')).toBe(true);
    expect(yesNo.parse('no')).toBe(false);
    expect(() => yesNo.parse('maybe')).toThrow(ValueError);
    expect(() => text().parse('a"b')).toThrow(ValueError);
    expect(list(integer()).parse(' 1  2 3 ')).toEqual([1, 2, 3]);
  });
});
