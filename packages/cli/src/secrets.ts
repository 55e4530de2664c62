/**
 * Secrets of edit flags (`--userpasswd USER`) come from stdin, never from argv, which
 * every user of the host can read in /proc/PID/cmdline. One line per flag that leaves
 * its secret out, in the order given; from a terminal each is asked twice without
 * echo, as passwd does. A secret given inline still works (OpenVZ's `USER:PASSWORD`)
 * and is warned about.
 */
import { createInterface } from 'node:readline';
import { vzError, type SetEdit } from '@vzkit/core';
import type { CliIo } from './io.js';
import type { KeyFlag } from './key-flags.js';

/** What reads one secret: a line of a pipe, or a terminal line typed without echo. */
type Ask = (prompt: string) => Promise<string | undefined>;

/**
 * The edits with every left-out secret read in; the others as given. Only flags `wanted`
 * are asked for (not when the runtime will refuse the command anyway). `warnings` are
 * for after the command succeeded: a refused one says one line only.
 */
export async function withSecrets(
  ctid: number, edits: SetEdit[], flags: readonly KeyFlag[], io: CliIo, wanted: (flag: KeyFlag) => boolean = () => true,
): Promise<{ edits: SetEdit[]; warnings: string[] }> {
  const secretOf = new Map(flags.filter((f) => f.edit?.secret && wanted(f)).map((f) => [f.name, f.edit!.secret!]));
  let ask: (Ask & { close(): void }) | undefined;
  try {
    const result: SetEdit[] = [];
    const warnings: string[] = [];
    for (const e of edits) {
      const secret = 'flag' in e ? secretOf.get(e.flag) : undefined;
      if (!secret || !('flag' in e)) {
        result.push(e);
        continue;
      }
      const what = secret.what(e.arg);
      if (secret.inline(e.arg)) {
        warnings.push(`WARNING: the ${what} given in --${e.flag} was visible to every user of the host (ps) while vzctl ran; ` +
          `give --${e.flag} without it and the ${what} on stdin`);
        result.push(e);
        continue;
      }
      ask ??= terminal(io, () => vzError('BAD_VALUE', `CT ${ctid}: --${e.flag}: cancelled`)) ?? lines(io);
      const value = await ask(`Enter ${what}: `);
      if (value === undefined) throw vzError('BAD_VALUE', `CT ${ctid}: invalid value for --${e.flag}: no ${what} on stdin`);
      if (io.isTTY && (await ask(`Retype ${what}: `)) !== value) {
        throw vzError('BAD_VALUE', `CT ${ctid}: invalid value for --${e.flag}: the two entries of the ${what} differ`);
      }
      result.push({ flag: e.flag, arg: secret.join(e.arg, value) });
    }
    return { edits: result, warnings };
  } finally {
    ask?.close();
  }
}

/** Lines of a pipe or file; the first line of each ask, without its line break. */
function lines(io: CliIo): Ask & { close(): void } {
  const rl = createInterface({ input: io.stdin, crlfDelay: Infinity, terminal: false });
  const it = rl[Symbol.asyncIterator]();
  return Object.assign(async () => {
    const next = await it.next();
    return next.done ? undefined : next.value;
  }, { close: () => rl.close() });
}

interface RawInput extends NodeJS.ReadableStream {
  setRawMode(raw: boolean): unknown;
}

/**
 * A terminal, read in raw mode so that nothing typed is echoed; undefined when stdin is
 * not one. Ctrl-C cancels, Ctrl-D on an empty line is the end of input.
 */
function terminal(io: CliIo, cancelled: () => Error): (Ask & { close(): void }) | undefined {
  const tty = io.stdin as Partial<RawInput>;
  if (!io.isTTY || typeof tty.setRawMode !== 'function') return undefined;
  const input = io.stdin as RawInput;
  const ask: Ask = (prompt) => new Promise((resolve, reject) => {
    io.stderr.write(prompt);
    let typed = '';
    const done = (fn: () => void) => {
      input.removeListener('data', onData);
      input.setRawMode(false);
      input.pause();
      io.stderr.write('\n');
      fn();
    };
    const onData = (chunk: Buffer | string) => {
      for (const ch of typeof chunk === 'string' ? chunk : chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done(() => resolve(typed));
        if (ch === '\u0003') return done(() => reject(cancelled()));
        if (ch === '\u0004' && typed === '') return done(() => resolve(undefined));
        if (ch === '\u007f' || ch === '\b') typed = [...typed].slice(0, -1).join('');
        else typed += ch;
      }
    };
    input.setRawMode(true);
    input.on('data', onData);
    input.resume();
  });
  return Object.assign(ask, { close: () => undefined });
}
