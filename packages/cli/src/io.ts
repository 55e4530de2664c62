/**
 * The terminal the tools talk to, passed in so tests drive them with strings, and the
 * printer that applies --quiet and --verbose to what they say.
 */
import type { Logger } from '@vzkit/core';

/** Something text can be written to (process.stdout, or a test's buffer). */
export interface TextSink {
  write(chunk: string): unknown;
}

/** The standard streams of one tool run. */
export interface CliIo {
  stdout: TextSink;
  stderr: TextSink;
  stdin: NodeJS.ReadableStream;
  /** stdin is a terminal (`enter` then gives the VE's shell a pty). */
  isTTY: boolean;
  /**
   * These are the process's own fds 0-2: commands run inside a VE share them (output
   * streams as it comes). Otherwise their output is captured and written to the sinks.
   */
  inherit?: boolean;
  /** stdout is a terminal (colours, screen programs such as top and watch). */
  stdoutIsTTY?: boolean;
  /** The command line that runs this same tool again (`[node, script]`). */
  self?: readonly string[];
}

/**
 * OpenVZ's console levels: informational lines go to stdout and vanish with --quiet,
 * warnings and errors go to stderr, debug lines appear with --verbose. Command output
 * (`status`, vzlist's table) is printed whatever the level.
 */
export class Printer {
  quiet = false;
  verbosity = 0;

  constructor(readonly io: CliIo, readonly prog: string) {}

  /** Output that is the command's result. */
  out(line: string): void {
    this.io.stdout.write(`${line}\n`);
  }

  info(line: string): void {
    if (!this.quiet) this.io.stdout.write(`${line}\n`);
  }

  warn(line: string): void {
    if (!this.quiet) this.io.stderr.write(`${line}\n`);
  }

  error(line: string): void {
    this.io.stderr.write(`${line}\n`);
  }

  debug(line: string): void {
    if (this.verbosity > 0 && !this.quiet) this.io.stderr.write(`${line}\n`);
  }

  /** The runtime's logger: plugins' messages follow the same levels. */
  logger(): Logger {
    return {
      info: (m) => this.info(m),
      warn: (m) => this.warn(`WARNING: ${m}`),
      debug: (m) => this.debug(m),
    };
  }
}

/** Reads a stream to its end as text (`vzctl exec CTID -` with captured stdio). */
export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
  return text;
}

/** Reads one line (without its newline) from a stream; what follows it stays unread. */
export async function readLine(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const done = (rest?: string) => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', reject);
      stream.pause();
      if (rest) stream.unshift(Buffer.from(rest));
      resolve(text);
    };
    const onData = (chunk: Buffer | string) => {
      const s = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      const nl = s.indexOf('\n');
      if (nl < 0) {
        text += s;
        return;
      }
      text += s.slice(0, nl);
      done(s.slice(nl + 1));
    };
    const onEnd = () => done();
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', reject);
    stream.resume();
  });
}
