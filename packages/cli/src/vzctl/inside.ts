/**
 * Running a command inside a VE for exec, exec2 and enter. When the tool runs on the
 * process's own stdio the command shares it (output streams, a pty relays the terminal);
 * otherwise (tests, embedding) its output is captured and written to the given sinks.
 */
import type { Runtime } from '@vzkit/core';
import { readAll, type CliIo } from '../io.js';

export interface InsideOptions {
  /** Feed the tool's stdin to the command (`exec CTID -`, `enter` without a terminal). */
  stdin?: boolean;
  /** Give the command a pty inside the VE (interactive `enter`). */
  tty?: boolean;
  /** Text the command reads before the tool's stdin (`enter --exec` with captured stdio). */
  inputPrefix?: string;
}

/** Runs argv inside the VE; resolves with its exit status (128+N when killed by signal N). */
export async function runInside(rt: Runtime, ctid: number, argv: string[], io: CliIo, opts: InsideOptions = {}): Promise<number> {
  if (io.inherit) {
    const r = await rt.exec(ctid, { argv, stdio: 'inherit', ...(opts.tty ? { tty: true } : {}) });
    return r.code;
  }
  const input = opts.stdin ? (opts.inputPrefix ?? '') + (await readAll(io.stdin)) : opts.inputPrefix;
  const r = await rt.exec(ctid, { argv, stdio: 'pipe', ...(input !== undefined ? { input } : {}) });
  if (r.stdout) io.stdout.write(r.stdout);
  if (r.stderr) io.stderr.write(r.stderr);
  return r.code;
}

/** vzctl exec runs its arguments as one shell command line, as OpenVZ's does. */
export function shellCommand(words: string[]): string[] {
  return words.length === 1 && words[0] === '-' ? ['/bin/sh'] : ['/bin/sh', '-c', words.join(' ')];
}
