import { describe, expect, it } from 'vitest';
import type { DeviceRule } from '@vzkit/core';
import { accessBits, deviceProgram, runDeviceProgram } from '../src/cgroup/v2/device-program.js';

const rules: DeviceRule[] = [
  { type: 'c', major: 1, minor: 3, access: 'rwm' },
  { type: 'c', major: 1, minor: 11, access: 'r' },
  { type: 'c', major: 136, minor: '*', access: 'rw' },
  { type: 'b', major: '*', minor: '*', access: 'm' },
];
const program = deviceProgram(rules);
const allows = (type: 'c' | 'b', major: number, minor: number, access: string) => runDeviceProgram(program, { type, major, minor, access }) === 1;

describe('the v2 device allowlist program', () => {
  it('allows exactly what the rules list: type, major, minor (or any), and no more access than given', () => {
    expect(allows('c', 1, 3, 'rw')).toBe(true);
    expect(allows('c', 1, 3, 'm')).toBe(true);
    expect(allows('c', 1, 11, 'r')).toBe(true);
    expect(allows('c', 1, 11, 'w')).toBe(false);
    expect(allows('c', 1, 11, 'rw')).toBe(false);
    expect(allows('c', 136, 7, 'rw')).toBe(true);
    expect(allows('c', 136, 7, 'm')).toBe(false);
    expect(allows('b', 254, 0, 'm')).toBe(true);
    expect(allows('b', 254, 0, 'r')).toBe(false);
    expect(allows('c', 1, 4, 'r')).toBe(false);
    expect(allows('b', 1, 3, 'r')).toBe(false);
  });

  it('denies everything without rules, and is whole instructions ending in exit', () => {
    const empty = deviceProgram([]);
    expect(runDeviceProgram(empty, { type: 'c', major: 1, minor: 3, access: 'r' })).toBe(0);
    expect(program.length % 8).toBe(0);
    expect(program[program.length - 8]).toBe(0x95);
    expect(accessBits('rwm')).toBe(7);
  });
});
