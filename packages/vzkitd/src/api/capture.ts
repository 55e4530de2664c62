/**
 * The terminal of a tool run inside vzkitd: what vzctl would print is kept line by line
 * (an API answer's `messages`, a task's progress) or passed on as it comes (a forwarded
 * command's stream). stdin holds what the request gave (`stdin` in the body: a password
 * for `--userpasswd`), else nothing.
 */
import { Readable } from 'node:stream';
import type { CliIo } from '@vzkit/cli';

export type Stream = 'out' | 'err';

export class CapturedIo implements CliIo {
  readonly lines: Array<{ stream: Stream; text: string }> = [];
  readonly #partial: Record<Stream, string> = { out: '', err: '' };
  readonly stdin: NodeJS.ReadableStream;
  readonly isTTY = false;
  readonly inherit = false;
  readonly stdoutIsTTY = false;
  readonly stdout = { write: (chunk: string) => this.#write('out', chunk) };
  readonly stderr = { write: (chunk: string) => this.#write('err', chunk) };

  /** `onChunk` sees output as it is written (a forwarded command's stream); `onLine` each whole line. */
  constructor(input = '', private readonly on: { chunk?(stream: Stream, text: string): void; line?(stream: Stream, text: string): void } = {}) {
    this.stdin = Readable.from(input === '' ? [] : [input]);
  }

  #write(stream: Stream, chunk: string): boolean {
    const text = String(chunk);
    this.on.chunk?.(stream, text);
    let buf = this.#partial[stream] + text;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      this.lines.push({ stream, text: line });
      this.on.line?.(stream, line);
    }
    this.#partial[stream] = buf;
    return true;
  }

  /** Everything printed on one stream, as text. */
  text(stream: Stream): string {
    return this.lines.filter((l) => l.stream === stream).map((l) => `${l.text}\n`).join('') + this.#partial[stream];
  }

  /** The lines printed, both streams in order (an answer's `messages`). */
  messages(): string[] {
    return this.lines.map((l) => l.text);
  }
}
