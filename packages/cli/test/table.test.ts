import { describe, expect, it } from 'vitest';
import type { ListField, ListRow } from '@vzkit/core';
import { globMatch } from '../src/vzlist/glob.js';
import { jsonDefaultFields, jsonText, placeholderField, sortRows, tableLines } from '../src/vzlist/table.js';

interface Ve {
  ctid: number;
  nproc?: number;
  status: 'running' | 'stopped';
  ip?: string[];
  hostname?: string;
}

const data = new WeakMap<ListRow, Ve>();
function row(v: Ve): ListRow {
  const r = { ctid: v.ctid, status: v.status, config: { get: () => undefined, has: () => false, raw: () => undefined }, stats: new Map(), initPid: undefined } as ListRow;
  data.set(r, v);
  return r;
}
const of = (r: ListRow) => data.get(r)!;

const ctid: ListField = { name: 'ctid', header: 'CTID', width: 10, get: (r) => r.ctid };
const numproc: ListField = { name: 'numproc', header: 'NPROC', width: 10, get: (r) => of(r).nproc ?? null };
const status: ListField = { name: 'status', header: 'STATUS', width: -9, get: (r) => r.status };
const ip: ListField = { name: 'ip', header: 'IP_ADDR', width: -15, get: (r) => of(r).ip };
const hostname: ListField = { name: 'hostname', header: 'HOSTNAME', width: -32, get: (r) => of(r).hostname };

describe('vzlist table', () => {
  const rows = [
    row({ ctid: 101, nproc: 18, status: 'running', ip: ['10.0.0.101', '10.0.0.201'], hostname: 'ct101.example.com' }),
    row({ ctid: 102, status: 'stopped', ip: ['10.1.1.2'], hostname: 'vps102' }),
  ];

  it("prints OpenVZ's default header and rows exactly", () => {
    const lines = tableLines([ctid, numproc, status, ip, hostname], rows, { header: true, noTrim: false });
    expect(lines).toEqual([
      '      CTID      NPROC STATUS    IP_ADDR         HOSTNAME',
      '       101         18 running   10.0.0.101      ct101.example.com',
      '       102          - stopped   10.1.1.2        vps102',
    ]);
  });

  it('keeps the default layout with - for a default field no plugin provides', () => {
    const lines = tableLines([ctid, numproc, status, placeholderField('ip')!, hostname], rows.slice(0, 1), { header: true, noTrim: false });
    expect(lines).toEqual([
      '      CTID      NPROC STATUS    IP_ADDR         HOSTNAME',
      '       101         18 running   -               ct101.example.com',
    ]);
  });

  it('prints a whole list and whole text only in the last column, or everywhere with -t', () => {
    const longName = row({ ctid: 7, status: 'running', ip: ['10.0.0.1', '10.0.0.2'], hostname: 'h'.repeat(40) });
    expect(tableLines([hostname, ip], [longName], { header: false, noTrim: false })).toEqual([`${'h'.repeat(32)} 10.0.0.1 10.0.0.2`]);
    expect(tableLines([ip, ctid], [longName], { header: false, noTrim: false })).toEqual([`${'10.0.0.1'.padEnd(15)} ${'7'.padStart(10)}`]);
    expect(tableLines([hostname, ip], [longName], { header: false, noTrim: true })).toEqual([`${'h'.repeat(40)} 10.0.0.1 10.0.0.2`]);
  });

  it('gives JSON the raw values, missing ones as null', () => {
    expect(JSON.parse(jsonText([ctid, numproc, ip, placeholderField('hostname')!], rows))).toEqual([
      { ctid: 101, numproc: 18, ip: ['10.0.0.101', '10.0.0.201'], hostname: null },
      { ctid: 102, numproc: null, ip: ['10.1.1.2'], hostname: null },
    ]);
  });

  it('takes base fields once per header for JSON without -o', () => {
    const veid: ListField = { ...ctid, name: 'veid' };
    const held: ListField = { name: 'numproc.m', header: 'NPROC.M', width: 10, get: () => 1 };
    expect(jsonDefaultFields([ctid, veid, numproc, held, status]).map((f) => f.name)).toEqual(['ctid', 'numproc', 'status']);
  });

  it('sorts numbers as numbers, missing values first, descending with -', () => {
    const more = [...rows, row({ ctid: 9, nproc: 3, status: 'running' })];
    expect(sortRows(more, numproc, false).map((r) => r.ctid)).toEqual([102, 9, 101]);
    expect(sortRows(more, numproc, true).map((r) => r.ctid)).toEqual([101, 9, 102]);
    expect(sortRows(more, hostname, false).map((r) => r.ctid)).toEqual([9, 101, 102]);
  });
});

describe('glob patterns (-h, -N, -d)', () => {
  it('matches shell wildcards like fnmatch', () => {
    expect(globMatch('web*', 'web1.example.com')).toBe(true);
    expect(globMatch('web?', 'web12')).toBe(false);
    expect(globMatch('ct[0-9][!a]', 'ct1b')).toBe(true);
    expect(globMatch('ct[0-9][!a]', 'ct1a')).toBe(false);
    expect(globMatch('a.b', 'axb')).toBe(false);
    expect(globMatch('[x', '[x')).toBe(true);
  });
});
