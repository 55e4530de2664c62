import { describe, expect, it } from 'vitest';
import { FakeHost } from '../src/index.js';

describe('FakeHost host programs (processes.run)', () => {
  it('a program without a handler does not exist: ENOENT naming it', async () => {
    const fake = new FakeHost();
    await expect(fake.processes.run(['debootstrap', '--version'])).rejects.toMatchObject({
      code: 'SYSTEM', errno: 'ENOENT', message: expect.stringContaining('run debootstrap'),
    });
  });

  it('has true, false and uname; a handler gets argv and options and may change files', async () => {
    const fake = new FakeHost();
    expect((await fake.processes.run(['uname', '-m'])).stdout).toBe('x86_64\n');
    expect(await fake.processes.run(['/bin/false'])).toEqual({ code: 1, stdout: '', stderr: '' });
    fake.onRun('mkfile', async (argv, ctx) => {
      await fake.fs.writeFile(argv[1]!, ctx.input ?? '');
      return { stdout: `${ctx.cwd} ${ctx.env?.LANG}\n` };
    });
    const r = await fake.processes.run(['/usr/bin/mkfile', '/tmp/x'], { input: 'data', cwd: '/tmp', env: { LANG: 'C' } });
    expect(r).toEqual({ code: 0, stdout: '/tmp C\n', stderr: '' });
    expect(fake.fs.read('/tmp/x')).toBe('data');
    await expect(fake.processes.run(['mkfile', '/tmp/y'], { cwd: '/nonexistent' })).rejects.toMatchObject({ errno: 'ENOENT' });
  });

  it('a program on the terminal prints there, not into the result', async () => {
    const fake = new FakeHost();
    fake.onRun('top', () => ({ code: 0, stdout: 'screen\n', stderr: 'note\n' }));
    expect(await fake.processes.run(['top'], { terminal: true })).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(fake.terminal).toBe('screen\nnote\n');
  });

  it('hands output on line by line as it is written, the unterminated rest at the end', async () => {
    const fake = new FakeHost();
    const seen: string[] = [];
    fake.onRun('talk', (_argv, ctx) => {
      ctx.write('stdout', 'one\ntw');
      seen.push('--');
      ctx.write('stdout', 'o\n');
      ctx.write('stderr', 'warn\n');
      return { code: 2, stdout: 'three' };
    });
    const r = await fake.processes.run(['talk'], { onLine: (l, s) => seen.push(`${s}:${l}`) });
    expect(seen).toEqual(['stdout:one', '--', 'stdout:two', 'stderr:warn', 'stdout:three']);
    expect(r).toEqual({ code: 2, stdout: 'one\ntwo\nthree', stderr: 'warn\n' });
  });

  it('the program is a process while it runs and is gone when the run resolves', async () => {
    const fake = new FakeHost();
    let pid = 0;
    fake.onRun('work', (argv, ctx) => {
      pid = ctx.pid;
      expect(fake.process(pid)).toMatchObject({ alive: true, argv, ppid: fake.selfPid });
      return 0;
    });
    await fake.processes.run(['work', 'a']);
    expect(fake.process(pid)).toMatchObject({ alive: false, exit: { code: 0 } });
  });

  it('a program killed while it runs ends by the signal; one past its timeout is killed and fails', async () => {
    const fake = new FakeHost();
    fake.onRun('hang', (_argv, ctx) => new Promise(() => void setTimeout(() => void fake.processes.signal(ctx.pid, 'SIGKILL'), 5)));
    expect(await fake.processes.run(['hang'])).toEqual({ code: 137, signal: 'SIGKILL', stdout: '', stderr: '' });
    let pid = 0;
    fake.onRun('hang', (_argv, ctx) => {
      pid = ctx.pid;
      return new Promise(() => {});
    });
    await expect(fake.processes.run(['hang'], { timeoutMs: 10 })).rejects.toMatchObject({ code: 'EXEC_TIMEOUT', exit: 15 });
    expect(fake.process(pid)?.alive).toBe(false);
  });

  it('streams like a pipe: input of any form through stdin(), bytes out through output() to a sink that waits', async () => {
    const fake = new FakeHost();
    fake.onRun('cat', async (_argv, ctx) => {
      const data = await ctx.stdin();
      await ctx.output(data.subarray(0, 2));
      await ctx.output(data.subarray(2));
      return 0;
    });
    async function* chunks() {
      yield new Uint8Array([1, 2]);
      yield new Uint8Array([3]);
    }
    const got: number[][] = [];
    const r = await fake.processes.run(['cat'], { input: chunks(), onOutput: async (c) => void got.push([...c]) });
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(got).toEqual([[1, 2], [3]]);
    // Text input still reaches `input`; without a sink output() is kept as text.
    expect((await fake.processes.run(['cat'], { input: 'abc' })).stdout).toBe('abc');
  });

  it('a sink that fails ends the program with its error; an input it never reads is closed', async () => {
    const fake = new FakeHost();
    fake.onRun('yes', async (_argv, ctx) => {
      for (;;) await ctx.output(new Uint8Array([0x79]));
    });
    await expect(fake.processes.run(['yes'], { onOutput: () => Promise.reject(new Error('sink full')) })).rejects.toThrow('sink full');
    fake.onRun('true', () => 0);
    let closed = false;
    async function* endless() {
      try {
        for (;;) yield new Uint8Array(1);
      } finally {
        closed = true;
      }
    }
    await fake.processes.run(['true'], { input: endless() });
    await new Promise((r) => setTimeout(r, 0));
    expect(closed).toBe(true);
  });
});
