/**
 * vzkitd on the real kernel for integration tests: the bundled daemon started in the
 * test's VZKIT_ROOT (its reaper in the spawned process's place), driven with curl on the
 * unix socket; the reaper's pid is the spawned pid, the worker's is in GET /v1.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const pkg = fileURLToPath(new URL('..', import.meta.url));

export interface Curl {
  status: number;
  body: string;
  json: any;
  /** curl's own exit status (7: could not connect). */
  exit: number;
  stderr: string;
}

export function curl(args: string[], opts: { user?: number; timeoutMs?: number } = {}): Promise<Curl> {
  const argv = ['-sS', '-w', '\n%{http_code}', ...args];
  const [cmd, full] = opts.user !== undefined
    ? ['setpriv', [`--reuid=${opts.user}`, `--regid=${opts.user}`, '--clear-groups', 'curl', ...argv]]
    : ['curl', argv];
  return new Promise((resolve) => {
    execFile(cmd, full, { timeout: opts.timeoutMs ?? 120_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const nl = stdout.lastIndexOf('\n');
      const body = nl < 0 ? '' : stdout.slice(0, nl);
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const e = err as (Error & { code?: number }) | null;
      resolve({ status: Number(stdout.slice(nl + 1)) || 0, body, json, exit: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stderr });
    });
  });
}

export class RealDaemon {
  child: ChildProcess | undefined;
  log = '';

  constructor(readonly root: string, readonly env: Record<string, string>, readonly args: string[] = []) {}

  get socket(): string {
    return join(this.root, 'run/vzkit/vzkitd.sock');
  }

  /** The reaper's pid: the spawned process became it. */
  get pid(): number {
    return this.child!.pid!;
  }

  static build(): void {
    execFileSync(process.execPath, [join(pkg, 'build.mjs')], { stdio: 'inherit' });
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, [join(pkg, 'dist/vzkitd.js'), '--sample-interval', '1', ...this.args], {
      env: { ...process.env, VZKIT_DEBUG: '', ...this.env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout!.on('data', (c: Buffer) => (this.log += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (this.log += c.toString()));
    await this.ready();
  }

  /** Waits until GET /v1 answers (a worker restarted by the reaper too). */
  async ready(timeoutMs = 20_000): Promise<Record<string, any>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await curl(['--unix-socket', this.socket, 'http://vzkitd/v1']).catch(() => undefined);
      if (r?.status === 200) return r.json;
      if (Date.now() > deadline) throw new Error(`vzkitd did not answer within ${timeoutMs} ms; its log:\n${this.log}`);
      if (this.child?.exitCode !== null && this.child?.exitCode !== undefined) throw new Error(`vzkitd exited with ${this.child.exitCode}; its log:\n${this.log}`);
      await sleep(50);
    }
  }

  /** A call on the unix socket: `api('POST', '/v1/ves', {...})`. */
  api(method: string, path: string, body?: unknown): Promise<Curl> {
    return curl(['--unix-socket', this.socket, '-X', method, ...(body === undefined ? [] : ['-H', 'content-type: application/json', '-d', JSON.stringify(body)]), `http://vzkitd${path}`]);
  }

  async workerPid(): Promise<number> {
    return (await this.ready()).pid as number;
  }

  /** Stops it (SIGTERM to the reaper, which stops the worker) and waits for the end. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await Promise.race([done, sleep(40_000)]);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await done;
    }
  }
}

/** Server-sent events read with curl -N in the background until stopped. */
export class EventTap {
  readonly #child: ChildProcess;
  text = '';

  constructor(socket: string, query = '') {
    this.#child = spawn('curl', ['-sN', '--unix-socket', socket, `http://vzkitd/v1/events${query}`], { stdio: ['ignore', 'pipe', 'ignore'] });
    this.#child.stdout!.on('data', (c: Buffer) => (this.text += c.toString()));
  }

  /** Events seen so far: type, CT and arguments. */
  events(): Array<{ type: string; ctid?: number; args: unknown[] }> {
    return [...this.text.matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1]!));
  }

  /** Waits until an event matches (or throws after `timeoutMs`). */
  async waitFor(pred: (e: { type: string; ctid?: number; args: unknown[] }) => boolean, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.events().some(pred)) {
      if (Date.now() > deadline) throw new Error(`event not seen within ${timeoutMs} ms; seen: ${JSON.stringify(this.events().map((e) => [e.type, e.ctid]))}`);
      await sleep(50);
    }
  }

  close(): void {
    this.#child.kill('SIGTERM');
  }
}

export async function statePid(root: string, ctid: number): Promise<number | undefined> {
  try {
    return JSON.parse(await readFile(join(root, 'run/vzkit', String(ctid), 'state.json'), 'utf8')).pid as number;
  } catch {
    return undefined;
  }
}

export async function parentOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

export const exists = (p: string) => access(p).then(() => true, () => false);
