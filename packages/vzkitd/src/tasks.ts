/**
 * Long operations as tasks: `POST /v1/ves/101/start` answers 202 with a task at once;
 * `GET /v1/tasks/{id}` shows its state and the progress lines the operation printed
 * (vzctl's messages), then its result or error. Tasks live in the daemon's memory (the
 * last 1000, or an hour): the VE's state on disk is what survives a restart of vzkitd.
 */
import { randomUUID } from 'node:crypto';
import type { ErrorBody } from './http/errors.js';

export type TaskState = 'running' | 'done' | 'failed';

export interface Task {
  id: string;
  /** `start`, `create`, `bulk-start` ... */
  op: string;
  ctid?: number;
  state: TaskState;
  created: string;
  finished?: string;
  /** Lines the operation printed, as they came (stdout and stderr). */
  progress: string[];
  result?: unknown;
  error?: ErrorBody;
}

const KEEP = 1000;
const KEEP_MS = 3600_000;

export class Tasks {
  readonly #tasks = new Map<string, Task>();
  readonly #waiters = new Map<string, Array<() => void>>();

  create(op: string, ctid?: number): Task {
    const task: Task = { id: randomUUID(), op, ...(ctid !== undefined ? { ctid } : {}), state: 'running', created: new Date().toISOString(), progress: [] };
    this.#tasks.set(task.id, task);
    this.#prune();
    return task;
  }

  get(id: string): Task | undefined {
    return this.#tasks.get(id);
  }

  list(): Task[] {
    return [...this.#tasks.values()];
  }

  finish(task: Task, outcome: { result: unknown } | { error: ErrorBody }): void {
    task.state = 'error' in outcome ? 'failed' : 'done';
    if ('error' in outcome) task.error = outcome.error;
    else task.result = outcome.result;
    task.finished = new Date().toISOString();
    for (const wake of this.#waiters.get(task.id) ?? []) wake();
    this.#waiters.delete(task.id);
  }

  /** Resolves when the task has finished (at once for a finished one). */
  settled(task: Task): Promise<Task> {
    if (task.state !== 'running') return Promise.resolve(task);
    return new Promise((resolve) => {
      const list = this.#waiters.get(task.id) ?? [];
      list.push(() => resolve(task));
      this.#waiters.set(task.id, list);
    });
  }

  #prune(): void {
    const cutoff = Date.now() - KEEP_MS;
    for (const [id, t] of this.#tasks) {
      if (this.#tasks.size <= KEEP && Date.parse(t.created) > cutoff) break;
      if (t.state !== 'running') this.#tasks.delete(id);
    }
  }
}
