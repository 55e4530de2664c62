/**
 * Chunks handed from one host program's output to another's input through vzkit (tar →
 * the archive's reader → zstd), with backpressure: the writer waits while the reader is
 * more than a few chunks behind. Either end may give up: a reader that stops (its
 * program exited) makes further writes fail, a writer that fails ends the reader with
 * its error.
 */
export class Pipe implements AsyncIterable<Uint8Array> {
  private readonly queue: Uint8Array[] = [];
  private queued = 0;
  private ended = false;
  private error: { e: unknown } | undefined;
  private cancelled: { e: unknown } | undefined;
  private wakeReader: (() => void) | undefined;
  private wakeWriter: (() => void) | undefined;

  /** Bytes the reader may be behind before a write waits. */
  constructor(private readonly highWater = 1 << 20) {}

  /** Queues a chunk; waits while the reader is behind. Rejects once the reader gave up. */
  async write(chunk: Uint8Array): Promise<void> {
    if (this.cancelled) throw this.cancelled.e;
    if (chunk.length === 0) return;
    // The producer may reuse its buffer: keep a copy.
    this.queue.push(chunk.slice());
    this.queued += chunk.length;
    this.wake('reader');
    while (this.queued > this.highWater && !this.cancelled) {
      await new Promise<void>((r) => (this.wakeWriter = r));
    }
    const cancelled = this.cancelled as { e: unknown } | undefined;
    if (cancelled) throw cancelled.e;
  }

  /** No more chunks: the reader ends once it has taken the queued ones. */
  end(): void {
    this.ended = true;
    this.wake('reader');
  }

  /** The writer failed: the reader ends with `e`. */
  fail(e: unknown): void {
    this.error ??= { e };
    this.wake('reader');
  }

  /** The reader gave up: writes fail with `e` from now on. */
  cancel(e: unknown = new Error('the reading end of the pipe is closed')): void {
    this.cancelled ??= { e };
    this.queue.length = 0;
    this.queued = 0;
    this.wake('writer');
  }

  private wake(which: 'reader' | 'writer'): void {
    const w = which === 'reader' ? this.wakeReader : this.wakeWriter;
    if (which === 'reader') this.wakeReader = undefined;
    else this.wakeWriter = undefined;
    w?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    try {
      for (;;) {
        if (this.error) throw this.error.e;
        const chunk = this.queue.shift();
        if (chunk) {
          this.queued -= chunk.length;
          if (this.queued <= this.highWater) this.wake('writer');
          yield chunk;
          continue;
        }
        if (this.ended || this.cancelled) return;
        await new Promise<void>((r) => (this.wakeReader = r));
      }
    } finally {
      // However the reader stops — done, failed, or its program gone — the writer learns it.
      if (!(this.ended && this.queue.length === 0)) this.cancel();
    }
  }
}
