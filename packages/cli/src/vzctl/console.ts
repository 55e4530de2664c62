/**
 * `vzctl console CTID [1]`: attach to the container's console. What init and the
 * programs it starts write to the console goes to `<run>/<CTID>/console.log`; the
 * console shows it as it comes, from the last part of the current run on, like
 * `tail -F`. It is persistent as OpenVZ's: it may be attached to a stopped container
 * and stays attached across a stop and the next start. Input does not reach the guest:
 * its /dev/console is /dev/null and nothing there reads one (see docs/decisions.md), so
 * the keyboard only detaches: `Esc .` after Enter (OpenVZ's), `Ctrl-A q` (LXC's) or
 * Ctrl-C on a terminal.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { ReadStream } from 'node:tty';
import { vzError } from '@vzkit/core';
import { parseArgs } from '../args.js';
import type { CliIo, Printer } from '../io.js';
import { ctidOf, type Verb } from './verb.js';

/** How much of what the console already said is shown on attach. */
export const BACKLOG_BYTES = 64 * 1024;
const POLL_MS = 200;

export interface ConsoleRequest {
  ctid: number;
}

/**
 * Watches keystrokes for the detach sequences: `Esc .` right after Enter (or first),
 * `Ctrl-A q`, and Ctrl-C when `ctrlC` (a terminal in raw mode delivers it as a byte).
 */
export class DetachKeys {
  private lineStart = true;
  private afterEsc = false;
  private afterCtrlA = false;
  /** Some other key was typed (input the console cannot deliver). */
  typed = false;

  constructor(private readonly ctrlC: boolean) {}

  /** True once a detach sequence is complete. */
  feed(bytes: Uint8Array): boolean {
    for (const b of bytes) {
      if (this.afterEsc && b === 0x2e) return true;
      if (this.afterCtrlA && b === 0x71) return true;
      if (this.ctrlC && b === 0x03) return true;
      const escape = b === 0x1b && this.lineStart;
      this.afterEsc = escape;
      this.afterCtrlA = b === 0x01;
      if (!escape && b !== 0x01 && b !== 0x0d && b !== 0x0a) this.typed = true;
      this.lineStart = b === 0x0d || b === 0x0a;
    }
    return false;
  }
}

/** Follows the console log as `tail -F` does: across the file going away and a new one coming. */
class LogFollower {
  private fh: FileHandle | undefined;
  private ino = -1;
  private offset = 0;
  private first = true;

  constructor(private readonly path: string, private readonly write: (chunk: Buffer) => void) {}

  /** Shows what is new since the last call. */
  async poll(): Promise<void> {
    const st = await stat(this.path).catch(() => undefined);
    if (!st) {
      // The VE stopped: its run directory is gone. The next start makes a new log.
      await this.close();
      this.first = false;
      return;
    }
    if (!this.fh || st.ino !== this.ino) {
      await this.close();
      this.fh = await open(this.path, 'r').catch(() => undefined);
      if (!this.fh) return;
      this.ino = st.ino;
      this.offset = this.first ? await this.backlogStart(st.size) : 0;
      this.first = false;
    }
    if (st.size < this.offset) this.offset = 0;
    const buf = Buffer.alloc(64 * 1024);
    for (;;) {
      const { bytesRead } = await this.fh.read(buf, 0, buf.length, this.offset);
      if (bytesRead === 0) break;
      this.write(Buffer.from(buf.subarray(0, bytesRead)));
      this.offset += bytesRead;
    }
  }

  /** Where the shown backlog begins: at most BACKLOG_BYTES before the end, at a line start. */
  private async backlogStart(size: number): Promise<number> {
    if (size <= BACKLOG_BYTES) return 0;
    const from = size - BACKLOG_BYTES;
    const buf = Buffer.alloc(BACKLOG_BYTES);
    const { bytesRead } = await this.fh!.read(buf, 0, buf.length, from);
    const nl = buf.subarray(0, bytesRead).indexOf(0x0a);
    return nl < 0 ? from : from + nl + 1;
  }

  async close(): Promise<void> {
    await this.fh?.close().catch(() => undefined);
    this.fh = undefined;
    this.ino = -1;
  }
}

/** Follows `path` until a detach sequence arrives on stdin. */
async function attach(path: string, io: CliIo, out: Printer, ctid: number): Promise<void> {
  const stdin = io.stdin;
  const raw = io.isTTY && stdin instanceof ReadStream;
  const keys = new DetachKeys(raw);
  let detached = false;
  let wake: (() => void) | undefined;
  let told = false;
  const onData = (chunk: Buffer | string) => {
    if (keys.feed(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)) {
      detached = true;
      wake?.();
    } else if (keys.typed && !told) {
      told = true;
      if (!out.quiet) io.stderr.write(`\r\nvzctl: CT ${ctid}: typed input does not reach the container's console; Esc . detaches\r\n`);
    }
  };
  if (raw) (stdin as ReadStream).setRawMode(true);
  stdin.on('data', onData);
  // A stdin that ends (a script's /dev/null) leaves the console attached, as `tail -f`.
  stdin.on('error', () => {});
  stdin.resume();
  const follower = new LogFollower(path, (chunk) => io.stdout.write(raw ? chunk.toString('utf8').replace(/(?<!\r)\n/g, '\r\n') : chunk.toString('utf8')));
  try {
    while (!detached) {
      await follower.poll();
      if (detached) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, POLL_MS);
      });
    }
  } finally {
    stdin.off('data', onData);
    stdin.pause();
    if (raw) (stdin as ReadStream).setRawMode(false);
    await follower.close();
  }
}

export const consoleVerb: Verb = {
  name: 'console',
  usage: 'CTID [1]',
  summary: "Show the container's console as it comes (Esc . detaches); persistent across stop and start",
  flags: () => [],
  async run(argv, { rt, out, io }) {
    const command = 'vzctl console';
    const { positionals } = parseArgs(argv, [], { command });
    const [id, tty, ...extra] = positionals;
    if (extra.length) throw vzError('BAD_PARAM', 'Invalid syntax: too many parameters!', { hint: `usage: ${command} ${this.usage}` });
    const ctid = await ctidOf(id === undefined ? [] : [id], command, rt);
    if (tty !== undefined) {
      if (!/^\d+$/.test(tty)) throw vzError('BAD_VALUE', `CT ${ctid}: Invalid tty number: ${tty}`);
      if (Number(tty) !== 1) {
        throw vzError('UNSUPPORTED', `CT ${ctid} has no tty${tty}: only its console (1) can be attached`, { hint: 'vzkit gives a VE no virtual terminals; use vzctl enter for a shell' });
      }
    }
    const req: ConsoleRequest = { ctid };
    const path = await rt.consoleLog(req.ctid);
    if (!out.quiet) io.stderr.write(`Attached to CT ${req.ctid} console (Esc . to detach)\n`);
    await attach(path, io, out, req.ctid);
    if (!out.quiet) io.stderr.write(`${io.isTTY ? '\r\n' : ''}Detached from CT ${req.ctid} console\n`);
    return 0;
  },
};
