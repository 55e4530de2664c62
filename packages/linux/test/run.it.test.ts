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

  it('streams: input from an iterable of chunks as the program takes them, output as bytes to a sink that may wait', async () => {
    const mib = new Uint8Array(1 << 20).fill(0x61);
    async function* chunks() {
      for (let i = 0; i < 8; i++) yield mib;
    }
    let total = 0;
    let waits = 0;
    const r = await processes.run(['cat'], {
      input: chunks(),
      onOutput: async (c) => {
        total += c.length;
        waits++;
        await new Promise((res) => setTimeout(res, 1));
      },
    });
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(total).toBe(8 << 20);
    expect(waits).toBeGreaterThan(1);
    expect((await processes.run(['od', '-An', '-tx1'], { input: new Uint8Array([0, 255]) })).stdout.trim()).toBe('00 ff');
  });

  it('a sink or an input that fails kills the program and fails the run with its error', async () => {
    await expect(processes.run(['yes'], { onOutput: () => Promise.reject(new Error('sink full')) })).rejects.toThrow('sink full');
    async function* broken() {
      yield new Uint8Array([1]);
      throw new Error('producer died');
    }
    await expect(processes.run(['cat'], { input: broken(), onOutput: () => {} })).rejects.toThrow('producer died');
    // A program that exits without reading ends the input's iteration instead of blocking it.
    let closed = false;
    async function* endless() {
      try {
        for (;;) yield new Uint8Array(1 << 16);
      } finally {
        closed = true;
      }
    }
    expect((await processes.run(['true'], { input: endless() })).code).toBe(0);
    expect(closed).toBe(true);
  });

  it('the program gets SIGKILL as its parent-death signal, so it dies with a killed vzctl', async () => {
    const r = await processes.run(['setpriv', '--dump']);
    expect(r.stdout).toMatch(/^Parent death signal: KILL$/m);
  });
});
