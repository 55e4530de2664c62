import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeEnv, type Env } from './harness.js';

let env: Env;

const HEADER = '      CTID      NPROC STATUS    IP_ADDR         HOSTNAME';

beforeEach(async () => {
  env = await makeEnv();
  // 101 and 103 run, 102 is stopped.
  for (const [ctid, host] of [[101, 'web1.example.com'], [102, 'db.example.com'], [103, 'web2.example.com']] as const) {
    expect((await env.vzctl('create', String(ctid), '--ostemplate', 'busybox', '--hostname', host)).code).toBe(0);
  }
  expect((await env.vzctl('set', '102', '--name', 'db', '--demo-level', '7', '--save')).code).toBe(0);
  expect((await env.vzctl('start', '101')).code).toBe(0);
  expect((await env.vzctl('start', '103')).code).toBe(0);
});

afterEach(async () => {
  await env.vzctl('stop', '101', '--fast');
  await env.vzctl('stop', '103', '--fast');
  await env.cleanup();
});

/** The NPROC column of a default row. */
const nproc = (line: string) => line.slice(11, 21).trim();

describe('vzlist', () => {
  it('lists running containers with the exact OpenVZ header; IP_ADDR is - until a plugin provides ip', async () => {
    const r = await env.vzlist();
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(HEADER);
    expect(lines.slice(1).map((l) => l.replace(/^(.{10}) (.{10})/, '$1 NNNNNNNNNN'))).toEqual([
      '       101 NNNNNNNNNN running   -               web1.example.com',
      '       103 NNNNNNNNNN running   -               web2.example.com',
    ]);
    // NPROC is the number of processes in the VE: its init at least.
    for (const l of lines.slice(1)) expect(Number(nproc(l))).toBeGreaterThanOrEqual(1);
  });

  it('-a shows stopped ones with - for usage, -S only those', async () => {
    const all = (await env.vzlist('-a')).stdout.trimEnd().split('\n');
    expect(all.map((l) => l.slice(0, 10).trim())).toEqual(['CTID', '101', '102', '103']);
    expect(all[2]).toBe('       102          - stopped   -               db.example.com');
    expect((await env.vzlist('-S', '-H')).stdout).toBe('       102          - stopped   -               db.example.com\n');
  });

  it('-H drops the header, -1 prints CTIDs only, -o picks fields (plugin fields included)', async () => {
    expect((await env.vzlist('-H')).stdout.split('\n')[0]).toMatch(/^ {7}101 /);
    expect((await env.vzlist('-1')).stdout).toBe('       101\n       103\n');
    expect((await env.vzlist('-a', '-o', 'ctid,name,demolevel,status')).stdout).toBe(
      [
        '      CTID NAME                              DEMOLVL STATUS',
        '       101 -                                       - running',
        '       102 db                                      7 stopped',
        '       103 -                                       - running',
        '',
      ].join('\n'),
    );
  });

  it('-s sorts by any field, - for descending; a bad field is exit 1', async () => {
    expect((await env.vzlist('-a', '-H', '-o', 'ctid', '-s', '-ctid')).stdout).toBe('       103\n       102\n       101\n');
    expect((await env.vzlist('-a', '-H', '-o', 'ctid', '-s', 'hostname')).stdout).toBe('       102\n       101\n       103\n');
    const bad = await env.vzlist('-s', 'bogus');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('vzlist: Invalid sort field name: bogus\n');
    const badField = await env.vzlist('-o', 'ctid,bogus');
    expect(badField.code).toBe(1);
    expect(badField.stderr).toMatch(/Unknown field: bogus/);
  });

  it('-j prints a JSON array with every base field, null where there is no value', async () => {
    const r = await env.vzlist('-j', '-a');
    expect(r.code).toBe(0);
    const list = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(list.map((o) => o.ctid)).toEqual([101, 102, 103]);
    expect(list[1]).toMatchObject({ ctid: 102, name: 'db', status: 'stopped', hostname: 'db.example.com', numproc: null, demolevel: 7, ostemplate: 'busybox' });
    expect(list[0]).toMatchObject({ name: null, status: 'running', demotags: null });
    expect(typeof list[0]!.numproc).toBe('number');
    expect(Object.keys(list[0]!)).not.toContain('veid');
    expect(JSON.parse((await env.vzlist('-j', '-o', 'ctid,hostname')).stdout)).toEqual([
      { ctid: 101, hostname: 'web1.example.com' },
      { ctid: 103, hostname: 'web2.example.com' },
    ]);
  });

  it('filters by hostname (-h) and name (-N) with shell patterns', async () => {
    expect((await env.vzlist('-a', '-H', '-o', 'ctid', '-h', 'web*')).stdout).toBe('       101\n       103\n');
    expect((await env.vzlist('-a', '-H', '-o', 'ctid', '-N', 'd?')).stdout).toBe('       102\n');
  });

  it('takes CTIDs and names as arguments, whatever their status', async () => {
    expect((await env.vzlist('-H', '-o', 'ctid,status', 'db', '101')).stdout).toBe('       101 running\n       102 stopped\n');
    const missing = await env.vzlist('4242');
    expect(missing).toEqual({ code: 1, stdout: '', stderr: 'Container(s) not found\n' });
    const bad = await env.vzlist('no-such-name');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('vzlist: CT ID no-such-name is invalid.\n');
  });

  it('says when nothing runs, exit 0; JSON gives []', async () => {
    await env.vzctl('stop', '101');
    await env.vzctl('stop', '103');
    expect(await env.vzlist()).toEqual({ code: 0, stdout: '', stderr: 'Container(s) not found\n' });
    expect(await env.vzlist('-j')).toEqual({ code: 0, stdout: '[]\n', stderr: '' });
  });

  it('-L lists every field of the composition, the plugins\' included', async () => {
    const r = await env.vzlist('-L');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toContain('ctid            CTID');
    expect(lines).toContain('hostname        HOSTNAME');
    expect(lines).toContain('demolevel       DEMOLVL');
    expect(lines).toContain('numproc         NPROC');
  });

  it('refuses unknown options with exit 1', async () => {
    const r = await env.vzlist('-Z');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^vzlist: unrecognized option -Z/);
  });
});
