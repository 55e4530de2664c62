/**
 * One run of the native launcher: the child process, the spec pipe (its fd 3) and the
 * reply lines (its fd 4), read one at a time.
 */
import { spawn, type ChildProcess, type IOType } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { vzError } from '@vzkit/core';
import { parseReply, type Reply } from './protocol.js';

export interface LauncherExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const STDERR_LIMIT = 4096;

export class LauncherChannel {
  readonly child: ChildProcess;
  /** Resolves when the launcher has exited and its pipes are closed; never rejects. */
  readonly exited: Promise<LauncherExit>;
  private readonly control: Writable;
  private readonly queue: string[] = [];
  private readonly waiters: Array<(line: string | undefined) => void> = [];
  private partial = '';
  private ended = false;
  private spawnError: Error | undefined;
  private stderrText = '';

  constructor(readonly binary: string, mode: 'start' | 'exec' | 'idmap' | 'inject', stdio: [IOType | 'inherit', IOType | 'inherit', IOType | 'inherit']) {
    this.child = spawn(binary, [mode], { stdio: [...stdio, 'pipe', 'pipe'] });
    this.control = this.child.stdio[3] as Writable;
    // EPIPE once the launcher is gone: its exit and last reply tell what happened.
    this.control.on('error', () => {});
    const replies = this.child.stdio[4] as Readable;
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
    this.exited = new Promise((resolve) => {
      this.child.on('error', (e) => {
        this.spawnError = e;
        this.finish();
        resolve({ code: null, signal: null });
      });
      this.child.on('close', (code, signal) => resolve({ code, signal }));
    });
  }

  send(data: Buffer): void {
    this.control.write(data);
  }

  /** Ends the spec pipe: before `go` this makes the launcher kill init and exit. */
  closeControl(): void {
    this.control.end();
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
