/** CT lists for bulk commands: parsing, expansion against the VEs that exist, bounded parallelism, exit status. */
import { describe, expect, it } from 'vitest';
import { vzError } from '@vzkit/core';
import { bulkExit, expandCtidList, parseCtidList, runBulk, BULK_MAX } from '../src/bulk.js';

describe('parseCtidList', () => {
  it('leaves one CTID or name to the ordinary command', () => {
    expect(parseCtidList('101')).toBeUndefined();
    expect(parseCtidList('web1')).toBeUndefined();
  });

  it('reads ranges and comma lists', () => {
    expect(parseCtidList('101-200')).toEqual([{ from: 101, to: 200 }]);
    expect(parseCtidList('101,105,110-120,web1')).toEqual([{ ctid: '101' }, { ctid: '105' }, { from: 110, to: 120 }, { ctid: 'web1' }]);
  });

  it('refuses empty and reversed ranges, empty items and lists too long', () => {
    expect(() => parseCtidList('200-101')).toThrow(/CT range 200-101 is empty/);
    expect(() => parseCtidList('101,,102')).toThrow(/empty item/);
    expect(() => parseCtidList('0-5')).toThrow(/host itself/);
    expect(() => parseCtidList(`1-${BULK_MAX + 1}`)).toThrow(/at most 100000/);
  });
});

describe('expandCtidList', () => {
  const rt = {
    ctids: async () => [101, 102, 150, 300],
    resolveId: async (id: string) => {
      if (id === 'web1') return 300;
      if (/^\d+$/.test(id)) return Number(id);
      throw vzError('BAD_PARAM', `CT ID "${id}" is invalid`);
    },
  };

  it('takes the VEs that exist in a range, a named one as given, each once, in order', async () => {
    expect(await expandCtidList(parseCtidList('100-149,web1,102,999')!, rt)).toEqual([101, 102, 300, 999]);
  });

  it('a range with no VE in it is an empty list', async () => {
    expect(await expandCtidList(parseCtidList('400-500')!, rt)).toEqual([]);
  });
});

describe('runBulk', () => {
  it('keeps at most `parallel` operations running and reports every outcome in list order', async () => {
    let running = 0;
    let most = 0;
    const done: number[] = [];
    const outcomes = await runBulk([1, 2, 3, 4, 5, 6, 7], async (ctid) => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 5 + (ctid % 3) * 3));
      running--;
      if (ctid === 4) throw vzError('VE_RUNNING', `CT ${ctid} is already running`);
    }, { parallel: 3, onDone: (o) => done.push(o.ctid) });
    expect(most).toBe(3);
    expect(outcomes.map((o) => o.ctid)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(outcomes[3]).toEqual({ ctid: 4, ok: false, code: 'VE_RUNNING', exit: 32, message: 'CT 4 is already running' });
    expect(done.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('exits 0 when all went well, with the shared exit number of the failures, else 1', () => {
    expect(bulkExit([{ ctid: 1, ok: true }])).toBe(0);
    expect(bulkExit([{ ctid: 1, ok: false, exit: 9 }, { ctid: 2, ok: false, exit: 9 }, { ctid: 3, ok: true }])).toBe(9);
    expect(bulkExit([{ ctid: 1, ok: false, exit: 9 }, { ctid: 2, ok: false, exit: 32 }])).toBe(1);
  });
});

describe('vzctl start|stop|restart LIST (on FakeHost)', async () => {
  const { makeEnv } = await import('./harness.js');
  it('works on every VE of the list, one line each and a summary; a failure sets the exit status', async () => {
    const env = await makeEnv();
    try {
      for (const id of ['101', '102', '103']) expect((await env.vzctl('create', id, '--ostemplate', 'busybox')).code).toBe(0);
      expect((await env.vzctl('start', '102')).code).toBe(0);
      const started = await env.vzctl('start', '100-199', '--parallel', '2');
      expect(started.code).toBe(32);
      expect(started.stdout.split('\n').filter(Boolean).sort()).toEqual(['2 of 3 containers started, 1 failed: 102', 'CT 101: started', 'CT 103: started'].sort());
      expect(started.stderr).toBe('vzctl: CT 102: is already running\n');
      expect(await env.vzctl('restart', '101,103')).toMatchObject({ code: 0, stderr: '' });
      const stopped = await env.vzctl('stop', '101-103', '--fast');
      expect(stopped).toMatchObject({ code: 0, stderr: '' });
      expect(stopped.stdout).toContain('3 of 3 containers stopped\n');
      expect((await env.vzctl('status', '103')).stdout).toContain('down');
      expect(await env.vzctl('start', '500-600')).toEqual({ code: 0, stdout: 'no container in 500-600\n', stderr: '' });
      expect((await env.vzctl('start', '101-103', '--parallel', '0')).stderr).toContain('invalid value for --parallel');
      expect((await env.vzctl('start', '101-103', '104')).code).toBe(20);
    } finally {
      await env.vzctl('stop', '101-103', '--fast');
      await env.cleanup();
    }
  });
});
