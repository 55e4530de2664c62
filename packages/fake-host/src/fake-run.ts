/**
 * Host programs of the fake machine (`ProcessService.run`). There are no binaries: a
 * program is a handler a test registers by name (`fake.onRun('tar', ...)`) that plays
 * what the program does — writes files through `fake.fs`, prints lines, exits. A program
 * without a handler does not exist (ENOENT), as on a host that lacks it. While a handler
 * runs, a process with its argv exists in the process table, so it can be seen, signalled
 * and killed; it is gone when the run resolves.
 */
import { OutputLines, vzError, type RunOptions, type RunResult } from '@vzkit/core';
import { kernelError, KernelFault } from './fake-errors.js';
import { FakeFs } from './fake-fs.js';
import type { FakeKernel } from './fake-kernel.js';
import { parseSignal } from './fake-process.js';

/** What a fake program did; `code` defaults to 0. */
export interface FakeRunOutput {
  code?: number;
  /** Ended by this signal (`code` then defaults to 128+N). */
  signal?: string;
  stdout?: string;
  stderr?: string;
}

/** What a fake program gets besides its argv. */
export interface FakeRunContext extends Omit<RunOptions, 'input'> {
  /** Host pid of the process running it. */
  pid: number;
  /** Its standard input as text when the caller gave text or bytes; see {@link stdin} for any kind. */
  input?: string;
  /**
   * Prints as it goes: the text is kept for the result and its complete lines reach
   * `onLine` at once (output returned at the end is printed after it). With the caller's
   * `onOutput`, stdout text goes there as bytes instead.
   */
  write(stream: 'stdout' | 'stderr', text: string): void;
  /** All of its standard input, whatever form the caller gave it (empty without one). */
  stdin(): Promise<Uint8Array>;
  /**
   * Writes bytes to its standard output: to the caller's `onOutput`, waiting while the
   * caller takes them, as a pipe would; kept as text for the result otherwise.
   */
  output(chunk: Uint8Array): Promise<void>;
}

/** Everything an input of {@link RunOptions.input} holds, as bytes. */
async function inputBytes(input: RunOptions['input']): Promise<Uint8Array> {
  if (input === undefined) return new Uint8Array();
  if (typeof input === 'string') return new TextEncoder().encode(input);
  if (input instanceof Uint8Array) return input;
  const chunks: Uint8Array[] = [];
  for await (const c of input) chunks.push(c);
  return Buffer.concat(chunks);
}

export type RunHandler = (argv: string[], ctx: FakeRunContext) => FakeRunOutput | number | void | Promise<FakeRunOutput | number | void>;

/** Programs every machine has. */
function builtins(k: FakeKernel): Record<string, RunHandler> {
  return {
    true: () => 0,
    false: () => 1,
    uname: (argv) => {
      const flag = argv[1];
      if (flag === '-m') return { stdout: 'x86_64\n' };
      if (flag === '-r') return { stdout: `${k.opts.kernelRelease}\n` };
      if (flag === '-n') return { stdout: `${k.hostNs.uts.hostname}\n` };
      return { stdout: 'Linux\n' };
    },
  };
}

export class FakeRunner {
  readonly handlers: Map<string, RunHandler>;
  /**
   * What programs run with `terminal` printed: the fake machine's terminal, where their
   * output goes instead of into the result.
   */
  terminal = '';

  constructor(private readonly k: FakeKernel) {
    this.handlers = new Map(Object.entries(builtins(k)));
  }

  async run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
    const program = argv[0] ?? '';
    const handler = this.handlers.get(program.split('/').pop()!);
    if (!handler) throw kernelError('SYSTEM', `run ${program}`, 'ENOENT', program);
    if (opts.cwd !== undefined && (await new FakeFs(this.k, this.k.self.pid).stat(opts.cwd))?.type !== 'dir') {
      throw kernelError('SYSTEM', `run ${program} in ${opts.cwd}`, 'ENOENT', opts.cwd);
    }
    const processes = this.k.processes;
    let proc;
    try {
      proc = processes.fork(this.k.self, { argv: [...argv] });
    } catch (e) {
      if (e instanceof KernelFault) throw kernelError('SYSTEM', `run ${program}`, e.errno);
      throw e;
    }
    proc.env = Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`);
    if (opts.cwd !== undefined) proc.cwd = opts.cwd;
    const out = { stdout: new OutputLines('stdout', opts.onOutput ? undefined : opts.onLine), stderr: new OutputLines('stderr', opts.onLine) };
    // Bytes to the caller's sink, in order; a sink that fails ends the program like a broken pipe.
    let sunk: Promise<void> = Promise.resolve();
    const toSink = (chunk: Uint8Array): Promise<void> => {
      const sink = opts.onOutput!;
      sunk = sunk.then(() => sink(chunk));
      return sunk;
    };
    const { input, ...rest } = opts;
    let read = false;
    const ctx: FakeRunContext = {
      ...rest,
      ...(typeof input === 'string' ? { input } : input instanceof Uint8Array ? { input: Buffer.from(input).toString('utf8') } : {}),
      pid: proc.pid,
      write: (stream, text) => {
        if (stream === 'stdout' && opts.onOutput) void toSink(new TextEncoder().encode(text)).catch(() => {});
        else out[stream].push(text);
      },
      stdin: () => {
        read = true;
        return inputBytes(input);
      },
      output: (chunk) => (opts.onOutput ? toSink(chunk) : (out.stdout.push(Buffer.from(chunk).toString('utf8')), Promise.resolve())),
    };
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<{ end: 'timeout' }>((resolve) => {
      if (opts.timeoutMs !== undefined) timer = setTimeout(() => resolve({ end: 'timeout' }), opts.timeoutMs);
    });
    try {
      const r = await Promise.race([
        Promise.resolve(handler(argv, ctx)).then((value) => ({ end: 'done' as const, value })),
        processes.waitExit(proc.pid, 2 ** 31 - 1).then(() => ({ end: 'killed' as const })),
        deadline,
      ]);
      if (r.end === 'timeout') {
        processes.die(proc, { signal: 'SIGKILL' });
        throw vzError('EXEC_TIMEOUT', `run ${program}: timed out after ${opts.timeoutMs} ms`);
      }
      if (r.end === 'killed') {
        // Something killed the program while it ran (a test playing a crash).
        const status = proc.exit ?? { signal: 'SIGKILL' };
        return this.result(out, status.signal ? { signal: status.signal } : { code: status.code ?? 0 });
      }
      const output: FakeRunOutput = typeof r.value === 'number' ? { code: r.value } : (r.value ?? {});
      if (output.stdout && opts.onOutput) await toSink(new TextEncoder().encode(output.stdout));
      else if (output.stdout) out.stdout.push(output.stdout);
      await sunk;
      if (output.stderr) out.stderr.push(output.stderr);
      if (proc.alive) processes.die(proc, output.signal ? { signal: output.signal } : { code: output.code ?? 0 });
      const result = this.result(out, output);
      if (!opts.terminal) return result;
      this.terminal += result.stdout + result.stderr;
      return { ...result, stdout: '', stderr: '' };
    } catch (e) {
      // A handler that throws plays a program that crashed.
      if (proc.alive) processes.die(proc, { code: 1 });
      throw e;
    } finally {
      if (timer) clearTimeout(timer);
      // A program that ends without reading its input closes the pipe: a streaming writer learns it.
      if (!read && input !== undefined && typeof input !== 'string' && !(input instanceof Uint8Array)) {
        // As the kernel would, once: the writer's next write finds no reader.
        const it = input[Symbol.asyncIterator]();
        void it.next().then(() => it.return?.(), () => undefined);
      }
    }
  }

  private result(out: { stdout: OutputLines; stderr: OutputLines }, status: FakeRunOutput): RunResult {
    out.stdout.end();
    out.stderr.end();
    const signal = status.signal;
    const code = status.code ?? (signal ? 128 + parseSignal(signal).num : 0);
    return { code, ...(signal ? { signal } : {}), stdout: out.stdout.text, stderr: out.stderr.text };
  }
}
