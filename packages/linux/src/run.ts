/**
 * Host programs run to their end for `ProcessService.run`: looked up on PATH first (a
 * missing program is ENOENT naming it, not a spawn error), output kept and split into
 * lines as it comes, an optional timeout. The program gets the parent-death signal
 * SIGKILL, so a vzctl killed midway — no handler of ours runs then — takes it along
 * instead of leaving a tar or mmdebstrap writing into a directory that the next run
 * removes. Node cannot run code between fork and exec, so util-linux's `setpriv
 * --pdeathsig KILL` sets it and execs the program; without setpriv it runs without.
 */
import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { constants as os } from 'node:os';
import { OutputLines, vzError, type RunOptions, type RunResult } from '@vzkit/core';
import { kernelError } from './errno.js';

const ENOENT = os.errno.ENOENT;

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** The file `name` runs: itself when it has a slash, else the first executable on `path`. */
export async function findProgram(name: string, path: string): Promise<string | undefined> {
  if (name.includes('/')) return (await isExecutableFile(name)) ? name : undefined;
  for (const dir of path.split(':')) {
    const candidate = join(dir || '.', name);
    if (await isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

let setpriv: Promise<string | undefined> | undefined;

/** `ProcessService.run` on Linux. */
export async function runProgram(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  const name = argv[0] ?? '';
  const env = { ...process.env, ...opts.env };
  const program = name === '' ? undefined : await findProgram(name, env.PATH ?? '');
  if (!program) throw kernelError('SYSTEM', `run ${name}`, ENOENT, name);
  setpriv ??= findProgram('setpriv', process.env.PATH ?? '/usr/bin:/bin');
  const wrapper = await setpriv;
  const [file, ...args] = wrapper ? [wrapper, '--pdeathsig', 'KILL', '--', program, ...argv.slice(1)] : [program, ...argv.slice(1)];
  const terminal = opts.terminal === true;
  const child = spawn(file!, args, {
    env,
    ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
    stdio: terminal ? 'inherit' : [opts.input !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  const out = new OutputLines('stdout', opts.onOutput ? undefined : opts.onLine);
  const err = new OutputLines('stderr', opts.onLine);
  // The first failure of a caller's stream (its input, its output sink): it ends the program.
  let streamError: { e: unknown } | undefined;
  const fail = (e: unknown) => {
    streamError ??= { e };
    child.kill('SIGKILL');
  };
  const sunk = opts.onOutput && child.stdout ? sinkOutput(child.stdout, opts.onOutput, fail) : undefined;
  if (!sunk) child.stdout?.setEncoding('utf8').on('data', (s: string) => out.push(s));
  child.stderr?.setEncoding('utf8').on('data', (s: string) => err.push(s));
  // Ctrl-C on the terminal reaches the program and us alike: the program decides, we report.
  const ignoreInterrupt = () => {};
  if (terminal) process.on('SIGINT', ignoreInterrupt);
  if (child.stdin && !terminal) {
    child.stdin.on('error', () => {}); // the program may exit without reading its input
    const input = opts.input;
    if (input === undefined || typeof input === 'string' || input instanceof Uint8Array) child.stdin.end(input);
    else void feedInput(child.stdin, input).catch(fail);
  }
  let timedOut = false;
  const timer = opts.timeoutMs !== undefined
    ? setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, opts.timeoutMs)
    : undefined;
  try {
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.once('error', (e: NodeJS.ErrnoException) => {
        reject(kernelError('SYSTEM', `run ${name}`, typeof e.errno === 'number' ? Math.abs(e.errno) : ENOENT, program, e));
      });
      child.once('close', (c, s) => resolve([c, s]));
    });
    await sunk;
    out.end();
    err.end();
    if (streamError) throw streamError.e;
    if (timedOut) throw vzError('EXEC_TIMEOUT', `run ${name}: timed out after ${opts.timeoutMs} ms`);
    const signo = signal ? os.signals[signal] : undefined;
    return {
      code: code ?? 128 + (signo ?? 0),
      ...(signal ? { signal } : {}),
      stdout: out.text,
      stderr: err.text,
    };
  } finally {
    if (timer) clearTimeout(timer);
    if (terminal) process.off('SIGINT', ignoreInterrupt);
  }
}

/**
 * Hands a program's stdout to `sink` chunk by chunk, pausing the pipe while a chunk is
 * being taken: the program blocks on a full pipe rather than vzctl buffering its output.
 * Resolves once the stream ended and every chunk was taken (or the sink failed).
 */
function sinkOutput(stream: Readable, sink: (chunk: Uint8Array) => void | Promise<void>, fail: (e: unknown) => void): Promise<void> {
  return new Promise((resolve) => {
    let busy = Promise.resolve();
    let failed = false;
    stream.on('data', (chunk: Buffer) => {
      if (failed) return;
      stream.pause();
      busy = busy.then(() => sink(chunk)).then(() => {
        stream.resume();
      }, (e: unknown) => {
        failed = true;
        stream.resume(); // drain what the dying program still wrote
        fail(e);
      });
    });
    stream.once('close', () => void busy.then(resolve));
  });
}

/**
 * Writes the chunks of `input` to a program's stdin as it takes them, then closes it. A
 * program that exits without reading all of it ends the iteration (the writer learns it
 * from its iterator's return), which is not a failure: its exit status says how it went.
 */
async function feedInput(stdin: Writable, input: AsyncIterable<Uint8Array>): Promise<void> {
  let gone = false;
  const onGone = () => {
    gone = true;
  };
  stdin.on('error', onGone);
  stdin.on('close', onGone);
  const writable = () => new Promise<void>((resolve) => {
    const done = () => {
      for (const ev of ['drain', 'close', 'error']) stdin.off(ev, done);
      resolve();
    };
    for (const ev of ['drain', 'close', 'error']) stdin.on(ev, done);
  });
  try {
    for await (const chunk of input) {
      if (gone || stdin.destroyed) return;
      if (!stdin.write(chunk)) await writable();
    }
    if (!gone) stdin.end();
  } finally {
    stdin.off('error', onGone);
    stdin.off('close', onGone);
  }
}
