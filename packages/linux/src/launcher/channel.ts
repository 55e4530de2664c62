/**
 * One run of the native launcher: the child process, the spec pipe (its fd 3) and the
 * reply lines (its fd 4), read one at a time.
 */
import type { Writable } from 'node:stream';
import { vzError } from '@vzkit/core';
import { parseReply, type Reply } from './protocol.js';
import { spawnLauncher, type SpawnedLauncher, type SpawnExit, type StdioMode } from './spawn.js';

export type LauncherExit = SpawnExit;

const STDERR_LIMIT = 4096;

export class LauncherChannel {
  /** Undefined when it could not be started (the first `next()` says why). */
  readonly child: SpawnedLauncher | undefined;
  /** Resolves when the launcher has exited and its pipes are closed; never rejects. */
  readonly exited: Promise<LauncherExit>;
  private readonly control: Writable | undefined;
  private readonly queue: string[] = [];
  private readonly waiters: Array<(line: string | undefined) => void> = [];
  private partial = '';
  private ended = false;
  private spawnError: Error | undefined;
  private stderrText = '';

  /** Starts the launcher in `mode`; a failure to start it is the first `next()`'s error. */
  static async open(binary: string, mode: 'start' | 'exec' | 'idmap' | 'inject', stdio: [StdioMode, StdioMode, StdioMode]): Promise<LauncherChannel> {
    const child = await spawnLauncher(binary, mode, stdio).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
    return new LauncherChannel(binary, mode, stdio, child);
  }

  private constructor(readonly binary: string, mode: 'start' | 'exec' | 'idmap' | 'inject', stdio: [StdioMode, StdioMode, StdioMode], child: SpawnedLauncher | Error) {
    if (child instanceof Error) {
      this.child = undefined;
      this.spawnError = child;
      this.ended = true;
      this.control = undefined;
      this.exited = Promise.resolve({ code: null, signal: null });
      return;
    }
    this.child = child;
    this.control = this.child.control;
    // EPIPE once the launcher is gone: its exit and last reply tell what happened.
    this.child.control.on('error', () => {});
    const replies = this.child.replies;
    replies.setEncoding('utf8');
    replies.on('data', (chunk: string) => this.take(chunk));
    replies.on('end', () => this.finish());
    replies.on('error', () => this.finish());
    // Outside exec mode stderr is the launcher's own; in exec mode it belongs to the command.
    if (mode !== 'exec' && stdio[2] === 'pipe' && this.child.stderr) {
      this.child.stderr.setEncoding('utf8');
      this.child.stderr.on('data', (s: string) => {
        if (this.stderrText.length < STDERR_LIMIT) this.stderrText += s;
      });
    }
    this.exited = this.child.exited;
  }

  send(data: Buffer): void {
    this.control?.write(data);
  }

  /** Ends the spec pipe: before `go` this makes the launcher kill init and exit. */
  closeControl(): void {
    this.control?.end();
  }

  /** The next reply, or undefined once the launcher closed its reply pipe. */
  async next(): Promise<Reply | undefined> {
    const line = this.queue.shift() ?? (this.ended ? undefined : await new Promise<string | undefined>((r) => this.waiters.push(r)));
    if (line === undefined && this.spawnError) {
      throw vzError('SYSTEM', `launcher ${this.binary}: ${this.spawnError.message}`, {
        cause: this.spawnError,
        ...((this.spawnError as NodeJS.ErrnoException).code ? { errno: (this.spawnError as NodeJS.ErrnoException).code } : {}),
        path: this.binary,
      });
    }
    return line === undefined ? undefined : parseReply(line);
  }

  /** What the launcher wrote to stderr (start mode), for messages about a crash. */
  get stderr(): string {
    return this.stderrText.trim();
  }

  private take(chunk: string): void {
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop()!;
    for (const line of lines) this.deliver(line);
  }

  private deliver(line: string | undefined): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(line);
    else if (line !== undefined) this.queue.push(line);
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.partial) this.deliver(this.partial);
    this.partial = '';
    while (this.waiters.length) this.deliver(undefined);
  }
}
