import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LinuxProcessService } from '../src/process.js';
import { findProgram } from '../src/run.js';

const processes = new LinuxProcessService();
let dir = '';

beforeAll(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'vzkit-run-')));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('LinuxProcessService.run', () => {
  it('resolves with status and output, whatever the status, and hands lines on as they come', async () => {
    const lines: string[] = [];
    const r = await processes.run(['sh', '-c', 'echo one; echo two >&2; printf three; exit 3'], {
      onLine: (l, s) => lines.push(`${s}:${l}`),
    });
    expect(r).toEqual({ code: 3, stdout: 'one\nthree', stderr: 'two\n' });
    expect(lines).toEqual(expect.arrayContaining(['stdout:one', 'stderr:two', 'stdout:three']));
    expect(lines.indexOf('stdout:one')).toBeLessThan(lines.indexOf('stdout:three'));
  });

  it('feeds input, adds env, runs in cwd; stdin is /dev/null without input', async () => {
    const r = await processes.run(['sh', '-c', 'cat; echo "$VZ_X $(pwd)"'], { input: 'in\n', env: { VZ_X: 'x' }, cwd: dir });
    expect(r.stdout).toBe(`in\nx ${dir}\n`);
    expect((await processes.run(['cat'])).stdout).toBe('');
  });

  it('a missing program is ENOENT naming it, found on PATH or not at all', async () => {
    await expect(processes.run(['vzkit-no-such-program'])).rejects.toMatchObject({
      code: 'SYSTEM', errno: 'ENOENT', message: expect.stringContaining('run vzkit-no-such-program'),
    });
    await expect(processes.run([join(dir, 'nothing')])).rejects.toMatchObject({ errno: 'ENOENT' });
    expect(await findProgram('sh', '/nonexistent:/bin:/usr/bin')).toMatch(/^\/(usr\/)?bin\/sh$/);
  });

  it('a program killed by a signal reports it; one past its timeout is killed and fails with EXEC_TIMEOUT', async () => {
    expect(await processes.run(['sh', '-c', 'kill -TERM $$'])).toMatchObject({ code: 143, signal: 'SIGTERM' });
    const t0 = Date.now();
    await expect(processes.run(['sleep', '30'], { timeoutMs: 200 })).rejects.toMatchObject({ code: 'EXEC_TIMEOUT' });
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('the program gets SIGKILL as its parent-death signal, so it dies with a killed vzctl', async () => {
    const r = await processes.run(['setpriv', '--dump']);
    expect(r.stdout).toMatch(/^Parent death signal: KILL$/m);
  });
});
