/**
 * vzubc's modes (man vzubc(8)): relative fail counters (-r), held changes (-i), colours
 * (-c), watch (-w), their refusals, and the per-user store they keep between runs.
 */
import { describe, expect, it } from 'vitest';
import { FakeHost } from '@vzkit/fake-host';
import type { StatRow } from '@vzkit/core';
import { compareWithLastRun, defaultStoreDir, importance, parseVzubcArgs, renderTable, UbcStore, type VeBeancounters } from '../src/index.js';

const numproc = (held: number, failcnt: number): StatRow => ({ resource: 'numproc', held, maxheld: held, barrier: 100, limit: 100, failcnt, status: 'enforced', extra: { unit: 'items' } });
const ve = (ctid: number, rows: StatRow[], running = true): VeBeancounters => ({ ctid, running, rows });

describe('vzubc -r and -i', () => {
  it('fail counters grow from the last run; a counter that went down (a restart) shows whole', () => {
    const last = { failcnt: { 101: { numproc: 5 }, 102: { numproc: 9 } }, held: { 101: { numproc: 40 } } };
    const ves = [ve(101, [numproc(50, 8)]), ve(102, [numproc(10, 2)])];
    const { next, heldDelta } = compareWithLastRun(ves, last, { relative: true, incremental: true });
    expect(ves[0]!.rows[0]!.failcnt).toBe(3);
    expect(ves[1]!.rows[0]!.failcnt).toBe(2);
    expect(next.failcnt).toEqual({ 101: { numproc: 8 }, 102: { numproc: 2 } });
    expect(next.held['101']).toEqual({ numproc: 50 });
    expect(heldDelta(101, 'numproc')).toBe(10);
    expect(heldDelta(102, 'numproc')).toBeUndefined();
  });

  it('the table gets +FAIL with -r and a +/- column with -i; changed rows show even under -q', () => {
    const rows = [numproc(60, 0), { ...numproc(1, 0), resource: 'numpty' }, { ...numproc(1, 0), resource: 'numfile' }];
    const text = renderTable([ve(101, rows)], { relative: true, quiet: true, heldDelta: (_c, r) => (r === 'numpty' ? -2 : undefined) });
    const lines = text.trimEnd().split('\n');
    expect(lines[1]).toBe(' CT 101      | HELD  +/-    Bar%  Lim%| MAXH  Bar%  Lim%|  BAR|  LIM| +FAIL');
    expect(lines.filter((l) => l.includes('|')).map((l) => l.trim().split('|')[0]!.trim())).toEqual(['CT 101', 'numproc', 'numpty']);
    expect(text).toMatch(/^ {7}numpty\| {4}1 {5}-2 /m);
  });

  it('-c colours failing rows red and rows near their barrier yellow, as vzubc ranks them', () => {
    expect(importance(numproc(10, 1))).toBe(2);
    expect(importance(numproc(60, 0))).toBe(1);
    expect(importance(numproc(10, 0))).toBe(0);
    // A barrier of 0 (vswap's physpages) is measured against the limit.
    expect(importance({ resource: 'physpages', held: 99, barrier: 0, limit: 100 })).toBe(1);
    const text = renderTable([ve(101, [numproc(10, 1), numproc(60, 0)])], { color: true });
    expect(text).toContain('\x1b[1;31m      numproc');
    expect(text).toContain('\x1b[1;33m      numproc');
    expect(text).toContain('\x1b[1;32m---');
  });
});

describe('vzubc options', () => {
  it('takes OpenVZ\'s options, ratios as fractions or percentages, and runs the rest under watch', () => {
    const o = parseVzubcArgs(['-wd', '-wn', '5', '-q', '-qh', '80', '-r', '101']);
    expect(o).toMatchObject({ watch: true, watchArgs: ['-d', '-n', '5'], quiet: true, heldRatio: 0.8, relative: true, ids: ['101'] });
    expect(o.inner).toEqual(['-q', '-qh', '80', '-r', '101']);
  });

  it('refuses what vzubc refuses, with exit 1', () => {
    for (const argv of [['-w', '-c'], ['-q', '-v'], ['-qh', '0.3'], ['-Z'], ['-rd'], ['--raw', '-j']]) {
      expect(() => parseVzubcArgs(argv)).toThrow(expect.objectContaining({ exit: 1 }));
    }
  });
});

describe('the store', () => {
  it('lives per user, is made 0700, and is refused when someone else could write to it', async () => {
    expect(defaultStoreDir('', 1000)).toBe('/tmp/vzubc.store.1000');
    expect(defaultStoreDir('/srv/vz', 0)).toBe('/srv/vz/tmp/vzubc.store.0');
    const fake = new FakeHost();
    const store = new UbcStore(fake.fs, '/tmp/s', 0);
    await store.prepare();
    expect((await fake.fs.stat('/tmp/s'))?.mode! & 0o777).toBe(0o700);
    expect(await store.read()).toEqual({ failcnt: {}, held: {} });
    await store.write({ failcnt: { 101: { numproc: 1 } }, held: {} });
    expect((await store.read()).failcnt).toEqual({ 101: { numproc: 1 } });
    await fake.fs.writeFile('/tmp/s/ubc.json', 'torn');
    expect(await store.read()).toEqual({ failcnt: {}, held: {} });
    await fake.fs.mkdir('/tmp/open', { mode: 0o777 });
    await fake.fs.chmod('/tmp/open', 0o777);
    await expect(new UbcStore(fake.fs, '/tmp/open', 0).prepare()).rejects.toMatchObject({ exit: 1 });
    await fake.fs.symlink('/tmp/s', '/tmp/link');
    await expect(new UbcStore(fake.fs, '/tmp/link', 0).prepare()).rejects.toMatchObject({ code: 'PERMISSION' });
  });
});
