/**
 * The parts of vzps and vztop that read ps's and top's tables: where the PID column is,
 * which rows stay, how top's frames are filtered, and the -E options taken out.
 */
import { describe, expect, it } from 'vitest';
import { FrameFilter, keepRows, pidColumnEnd, pidOfRow, takeVeOptions } from '../src/index.js';

describe('the PID column', () => {
  it('is found by its header, not by PPID or TPGID, and read where it ends', () => {
    const header = 'USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND';
    const end = pidColumnEnd(header)!;
    expect(header.slice(0, end).endsWith('PID')).toBe(true);
    expect(pidOfRow('root           1  0.0  0.1 167340 11904 ?        Ss   Jan01   0:09 /sbin/init', end)).toBe(1);
    expect(pidOfRow('www-data   12345  0.0  0.0  10000  2000 ?        S    10:00   0:00 nginx: worker', end)).toBe(12345);
    expect(pidColumnEnd('   PPID   PGID  TPGID CMD')).toBeUndefined();
    expect(pidColumnEnd(' PPID    PID CMD')).toBe(12);
    expect(pidColumnEnd('Tasks: 2 total')).toBeUndefined();
  });
});

describe('vzps rows', () => {
  it('keeps the header and the rows of the wanted pids; a table without a PID header stays whole', () => {
    const out = '  PID TTY          TIME CMD\n    1 ?        00:00:01 init\n  200 ?        00:00:00 sshd\n';
    expect(keepRows(out, new Set([200]))).toEqual(['  PID TTY          TIME CMD', '  200 ?        00:00:00 sshd']);
    expect(keepRows('    1 init\n  200 sshd\n', new Set([200]))).toEqual(['    1 init', '  200 sshd']);
  });
});

describe('vztop frames', () => {
  it('pass the summary, the header and the rows of the VE; each frame starts afresh', () => {
    const seen: string[] = [];
    let frames = 0;
    const f = new FrameFilter((pid) => pid === 7, (l) => seen.push(l), () => frames++);
    for (const l of ['top - 10:00:00 up 1 day', 'Tasks:  3 total', '', '    PID USER  COMMAND', '      7 root  init', '      8 root  other', '', 'top - 10:00:03 up 1 day', '    PID USER  COMMAND', '      8 root  other']) f.line(l);
    expect(frames).toBe(2);
    expect(seen).toEqual(['top - 10:00:00 up 1 day', 'Tasks:  3 total', '', '    PID USER  COMMAND', '      7 root  init', '', 'top - 10:00:03 up 1 day', '    PID USER  COMMAND']);
  });
});

describe('-E options', () => {
  it('are taken out wherever they stand, in both spellings; the rest goes to ps or top', () => {
    expect(takeVeOptions(['-E', '101', 'aux', '-E0', '-o', 'pid'], 'vzps')).toEqual({ ids: ['101', '0'], rest: ['aux', '-o', 'pid'] });
    expect(() => takeVeOptions(['-f', '-E'], 'vzps')).toThrow(expect.objectContaining({ exit: 1 }));
    // Long options of top are not -E.
    expect(takeVeOptions(['--scale-summary-mem', 'g'], 'vztop').rest).toEqual(['--scale-summary-mem', 'g']);
  });
});
