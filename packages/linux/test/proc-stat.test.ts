import { describe, expect, it } from 'vitest';
import { parseProcStat } from '../src/process.js';

// Fields 3..52 of a real /proc/PID/stat line; field 22 (start time) is 8123456.
const TAIL = 'S 1 4242 4242 0 -1 4194560 1097 0 0 0 3 1 0 0 20 0 1 0 8123456 2666496 129 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0';

describe('parseProcStat', () => {
  it('reads state, ppid and start time (field 22)', () => {
    expect(parseProcStat(`4242 (sleep) ${TAIL}\n`)).toEqual({ pid: 4242, comm: 'sleep', state: 'S', ppid: 1, startTime: 8123456 });
  });

  it('counts fields from the last parenthesis: comm may contain spaces and ")"', () => {
    const st = parseProcStat(`99 (evil) S 7 (x) ${TAIL}`);
    expect(st?.comm).toBe('evil) S 7 (x');
    expect(st?.startTime).toBe(8123456);
  });

  it('returns undefined for something that is not a stat line', () => {
    expect(parseProcStat('')).toBeUndefined();
    expect(parseProcStat('12 (short) S 1 2')).toBeUndefined();
  });
});
