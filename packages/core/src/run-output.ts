/** The output of a host program run by `ProcessService.run`, as it comes. */
import type { RunOptions } from './host.js';

/**
 * One output stream of a program: keeps all of its text and hands each complete line to
 * `onLine` as soon as it is there (the last, unterminated one at `end`). Shared by every
 * Host so that progress parsers see the same lines on Linux and on FakeHost.
 */
export class OutputLines {
  text = '';
  private partial = '';

  constructor(private readonly stream: 'stdout' | 'stderr', private readonly onLine: RunOptions['onLine']) {}

  push(chunk: string): void {
    this.text += chunk;
    if (!this.onLine) return;
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop()!;
    for (const l of lines) this.onLine(l, this.stream);
  }

  end(): void {
    if (this.partial && this.onLine) this.onLine(this.partial, this.stream);
    this.partial = '';
  }
}
