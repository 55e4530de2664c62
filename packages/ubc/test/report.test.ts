import { describe, expect, it } from 'vitest';
import type { StatRow } from '@vzkit/core';
import { renderRaw, renderTable, toJson, UBC_PARAMS, type VeBeancounters } from '../src/index.js';

function rows(over: Record<string, Partial<StatRow>> = {}): StatRow[] {
  return UBC_PARAMS.map((p) => ({ resource: p.name, barrier: Infinity, limit: Infinity, status: 'accounted', extra: { unit: p.unit, how: '' }, ...over[p.name] }));
}

const ve101: VeBeancounters = {
  ctid: 101,
  running: true,
  rows: rows({
    numproc: { held: 7, maxheld: 12, barrier: 100, limit: 100, failcnt: 3 },
    physpages: { held: 1000, maxheld: 2000, barrier: 0, limit: 16384, failcnt: 0 },
    numfile: { held: 40, barrier: 1000, limit: 2000 },
  }),
};

describe('renderRaw', () => {
  const text = renderRaw([ve101, { ctid: 102, running: true, rows: rows() }]);
  const lines = text.trimEnd().split('\n');

  it('prints the exact /proc/user_beancounters header', () => {
    expect(lines[0]).toBe('Version: 2.5');
    expect(lines[1]).toBe('       uid  resource                     held              maxheld              barrier                limit              failcnt');
  });

  it('prints 25 rows per VE in kernel id order, dummies included, swappages last, the CTID on the first row only', () => {
    const ve = lines.slice(2, 27);
    expect(ve.map((l) => l.slice(12).split(/\s+/)[0])).toEqual([
      'kmemsize', 'lockedpages', 'privvmpages', 'shmpages', 'dummy', 'numproc', 'physpages', 'vmguarpages', 'oomguarpages',
      'numtcpsock', 'numflock', 'numpty', 'numsiginfo', 'tcpsndbuf', 'tcprcvbuf', 'othersockbuf', 'dgramrcvbuf',
      'numothersock', 'dcachesize', 'numfile', 'dummy', 'dummy', 'dummy', 'numiptent', 'swappages',
    ]);
    expect(ve[0]!.startsWith('      101:  kmemsize')).toBe(true);
    expect(ve.slice(1).every((l) => l.startsWith(' '.repeat(12)))).toBe(true);
    expect(lines[27]!.startsWith('      102:  kmemsize')).toBe(true);
    expect(lines).toHaveLength(2 + 2 * 25);
  });

  it('formats each row as %10s  %-12s and five %20 columns, unlimited as LONG_MAX', () => {
    const numproc = lines.find((l) => l.includes('numproc'))!;
    expect(numproc).toBe(`${' '.repeat(10)}  ${'numproc'.padEnd(12)} ${['7', '12', '100', '100', '3'].map((v) => v.padStart(20)).join(' ')}`);
    const kmem = lines[2]!;
    expect(kmem.trim().split(/\s+/).slice(2)).toEqual(['0', '0', '9223372036854775807', '9223372036854775807', '0']);
    const numfile = lines.find((l) => l.includes('numfile'))!;
    // No kernel peak for numfile: maxheld prints held.
    expect(numfile.trim().split(/\s+/)).toEqual(['numfile', '40', '40', '1000', '2000', '0']);
  });
});

describe('renderTable', () => {
  it('shows limited counters in bytes with their share of barrier and limit, failures, and hides unlimited ones', () => {
    const text = renderTable([ve101]);
    expect(text).toContain(' CT 101      | HELD  Bar%  Lim%| MAXH  Bar%  Lim%|  BAR|  LIM|  FAIL');
    expect(text).toMatch(/\n      numproc\|    7    7%    7%\|   12   12%   12%\|  100\|  100\|     3\n/);
    expect(text).toMatch(/\n    physpages\| 3\.9M     -    6%\| 7\.8M     -   12%\|    -\|  64M\|     -\n/);
    expect(text).toContain('(18 unlimited not shown; -v shows them)');
    expect(text).not.toContain('kmemsize');
    expect(renderTable([ve101], { verbose: true })).toContain('kmemsize');
  });

  it('prints - in FAIL for no refusal and for a counter the kernel does not keep, never ?', () => {
    const text = renderTable([ve101]);
    expect(text).toMatch(/\n      numfile\|   40    4%    2%\|    \?     -     -\| 1000\| 2000\|     -\n/);
    expect(text).not.toMatch(/\|\s+\?\n/);
  });

  it('-q keeps only rows with failures or held near the barrier', () => {
    const text = renderTable([ve101], { quiet: true });
    expect(text).toContain('numproc');
    expect(text).not.toContain('physpages');
    expect(renderTable([{ ctid: 5, running: true, rows: rows() }], { quiet: true })).toBe('');
  });
});

describe('toJson', () => {
  it('gives numbers in the row unit, "unlimited" for no limit and null for what is not counted', () => {
    const [ve] = toJson([ve101]) as Array<{ ctid: number; beancounters: Array<Record<string, unknown>> }>;
    expect(ve!.ctid).toBe(101);
    expect(ve!.beancounters.find((b) => b['resource'] === 'numproc')).toMatchObject({ held: 7, maxheld: 12, barrier: 100, limit: 100, failcnt: 3, unit: 'items' });
    expect(ve!.beancounters.find((b) => b['resource'] === 'kmemsize')).toMatchObject({ held: null, barrier: 'unlimited', limit: 'unlimited', failcnt: null });
  });
});
