/**
 * What each route does. Operations run the vzctl verb itself with the body as its flags
 * (api/body.ts) on a runtime of their own, so an answer carries vzctl's messages and a
 * refusal vzctl's code, exit number and line; reads run vzlist, vzubc or vzquota with
 * `-j`. Long operations are tasks unless `?wait=1`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  expandCtidList, findVerb, parseCtidList, runBulk, runTool, runVzctl, runVzlist, withoutCtLabel, FORWARDED_ENV,
  type BulkOutcome, type Frame, type ListItem, type RuntimeFactory,
} from '@vzkit/cli';
import { isVzError, vzError, type Logger, type Runtime } from '@vzkit/core';
import { asVzError, errorBody, statusOf } from '../http/errors.js';
import { eventFilter, sseText, type EventHub } from '../hub.js';
import type { Metrics } from '../metrics.js';
import type { Tasks, Task } from '../tasks.js';
import { argvFromBody, type Body } from './body.js';
import { CapturedIo } from './capture.js';
import { BULK_OPS, type ApiRoute, type Handler } from './routes.js';

/** What the handlers need of the daemon. */
export interface ApiServices {
  /**
   * A runtime for one operation, on the daemon's host, its bus tapped into the hub; for a
   * read, untapped (`events: false`): a read's runtime has seen nothing before, so what
   * its plugins announce on reading (ubc's fail counts) would be old news on the stream.
   */
  newRuntime(log: Logger, opts?: { events?: boolean }): Promise<Runtime>;
  /** A runtime that only describes the composition (help, declarations). */
  describeRuntime(log: Logger): Promise<Runtime>;
  hub: EventHub;
  tasks: Tasks;
  metrics: Metrics;
  openapi(): Promise<unknown>;
  info(): unknown;
  /** The daemon's environment (its VZKIT_* settings). */
  env: NodeJS.ProcessEnv;
  /** /proc/self/cgroup of the daemon: `@self` means the same to a client only with the same. */
  ownCgroup: string;
  /** Bulk parallelism unless the body says. */
  parallel: number;
}

export interface ApiRequest {
  route: ApiRoute;
  params: Record<string, string>;
  query: URLSearchParams;
  body: Body | undefined;
  req: IncomingMessage;
  res: ServerResponse;
}

export type Reply =
  | { status: number; json: unknown; headers?: Record<string, string> }
  | { status: number; text: string; contentType: string }
  /** The handler wrote the answer itself (a stream). */
  | 'streamed';

const quiet: Logger = { info() {}, warn() {}, debug() {} };

/** A failure's answer, with what the operation printed before it. */
function failure(e: unknown, messages?: string[]): Reply {
  const err = asVzError(e);
  return { status: statusOf(err.code), json: { ...errorBody(err), ...(messages?.length ? { messages } : {}) } };
}

export class Api {
  readonly factory: RuntimeFactory;
  /** The same for reads (vzlist, vzubc, vzquota): their runtimes' events stay off the stream. */
  readonly readFactory: RuntimeFactory;
  /** Forwarded commands running now (a stop of vzkitd waits for them). */
  forwarded = 0;

  constructor(private readonly s: ApiServices) {
    this.factory = (req) => (req.hostNeeded ? s.newRuntime(req.log) : s.describeRuntime(req.log));
    this.readFactory = (req) => (req.hostNeeded ? s.newRuntime(req.log, { events: false }) : s.describeRuntime(req.log));
  }

  async handle(r: ApiRequest): Promise<Reply> {
    try {
      return await this[r.route.handler](r);
    } catch (e) {
      return failure(e);
    }
  }

  /** `?wait=1`, `"wait": true`. */
  #waits(r: ApiRequest): boolean {
    const q = r.query.get('wait');
    return (q !== null && q !== '0' && q !== 'false') || r.body?.['wait'] === true;
  }

  /** Runs `work` as a task: 202 at once, or its outcome with `?wait=1`. */
  async #task(r: ApiRequest, op: string, ctid: number | undefined, work: (progress: (line: string) => void) => Promise<unknown>): Promise<Reply> {
    const task = this.s.tasks.create(op, ctid);
    void work((line) => task.progress.push(line)).then(
      (result) => this.s.tasks.finish(task, { result }),
      (e: unknown) => this.s.tasks.finish(task, { error: errorBody(asVzError(e)) }),
    );
    if (!r.route.task || this.#waits(r)) return this.#outcome(await this.s.tasks.settled(task));
    return { status: 202, json: task, headers: { location: `/v1/tasks/${task.id}` } };
  }

  #outcome(task: Task): Reply {
    if (task.state === 'done') return { status: 200, json: task.result };
    return { status: statusOf(task.error!.code), json: { ...task.error, ...(task.progress.length ? { messages: task.progress } : {}) } };
  }

  /** vzctl with argv, on this daemon's runtimes; resolves with its messages, throws its failure. */
  async #vzctl(argv: string[], stdin: string, progress?: (line: string) => void): Promise<{ messages: string[]; exit: number }> {
    const io = new CapturedIo(stdin, progress ? { line: (_s, t) => progress(t) } : {});
    const exit = await runVzctl(argv, io, this.factory, { rethrow: true });
    return { messages: io.messages(), exit };
  }

  /** The CTID a path names (a CTID or a NAME). */
  async #ctid(r: ApiRequest): Promise<number> {
    return (await this.s.newRuntime(quiet, { events: false })).resolveId(r.params['id']!);
  }

  #stdin(r: ApiRequest): string {
    const v = r.body?.['stdin'];
    if (v === undefined) return '';
    if (typeof v !== 'string') throw vzError('BAD_VALUE', 'invalid value for stdin: a string (one line per secret, e.g. a password for userpasswd)');
    return v.endsWith('\n') ? v : `${v}\n`;
  }

  async #verbArgv(verb: string, ctid: string, body: Body | undefined): Promise<string[]> {
    const v = findVerb(verb);
    if (!v) throw vzError('SYSTEM', `internal error: no vzctl verb ${verb}`);
    const rt = await this.s.describeRuntime(quiet);
    try {
      return [verb, ctid, ...argvFromBody(body ?? {}, v.flags(rt))];
    } catch (e) {
      // As vzctl says it: the line names the CT.
      throw isVzError(e) ? vzError(e.code, `CT ${ctid}: ${e.message}`, { exit: e.exit, ...(e.hint ? { hint: e.hint } : {}) }) : e;
    }
  }

  // --- handlers, by the route table's names ------------------------------------

  async info(): Promise<Reply> {
    return { status: 200, json: this.s.info() };
  }

  async openapi(): Promise<Reply> {
    return { status: 200, json: await this.s.openapi() };
  }

  async metrics(): Promise<Reply> {
    return { status: 200, text: await this.s.metrics.scrape(), contentType: 'text/plain; version=0.0.4; charset=utf-8' };
  }

  async events(r: ApiRequest): Promise<Reply> {
    const { res, req } = r;
    const keep = eventFilter(r.query.get('types'), r.query.get('ctid'));
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write(': vzkitd events\n\n');
    const last = Number(req.headers['last-event-id'] ?? r.query.get('since') ?? NaN);
    if (Number.isFinite(last)) for (const e of this.s.hub.since(last)) if (keep(e)) res.write(sseText(e));
    const off = this.s.hub.subscribe((e) => {
      if (keep(e)) res.write(sseText(e));
    });
    const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
    const end = () => {
      off();
      clearInterval(ping);
    };
    req.on('close', end);
    res.on('close', end);
    return 'streamed';
  }

  async listVes(r: ApiRequest): Promise<Reply> {
    const io = new CapturedIo();
    const o = r.query.get('o');
    const running = r.query.get('running');
    await runVzlist(['-j', ...(running === '1' || running === 'true' ? [] : ['-a']), ...(o ? ['-o', o] : [])], io, this.readFactory, { rethrow: true });
    return { status: 200, json: JSON.parse(io.text('out')) };
  }

  async getVe(r: ApiRequest): Promise<Reply> {
    const rt = await this.s.newRuntime(quiet, { events: false });
    const ctid = await rt.resolveId(r.params['id']!);
    const config = await rt.config(ctid);
    const st = await rt.status(ctid);
    const io = new CapturedIo();
    await runVzlist(['-a', '-j', String(ctid)], io, this.readFactory, { rethrow: true });
    const [row] = JSON.parse(io.text('out')) as unknown[];
    const keys: Record<string, string> = {};
    for (const k of rt.configKeys) {
      const raw = config.has(k) ? config.raw(k.name) : undefined;
      if (raw !== undefined) keys[k.name] = raw;
    }
    return {
      status: 200,
      json: {
        ctid, status: st.running ? 'running' : st.mounted ? 'mounted' : 'stopped', exist: st.exist, busy: st.busy,
        ...(st.pid !== undefined ? { pid: st.pid } : {}), row, config: keys,
      },
    };
  }

  async createVe(r: ApiRequest): Promise<Reply> {
    const raw = r.body?.['ctid'];
    if (raw === undefined || (typeof raw !== 'number' && typeof raw !== 'string')) throw vzError('BAD_PARAM', 'CT ID is not given: the body needs "ctid"');
    const id = String(raw);
    const argv = await this.#verbArgv('create', id, r.body);
    const ctid = /^\d+$/.test(id) ? Number(id) : undefined;
    const stdin = this.#stdin(r);
    return this.#task(r, 'create', ctid, async (progress) => {
      const { messages } = await this.#vzctl(argv, stdin, progress);
      return { ctid, messages };
    });
  }

  async setVe(r: ApiRequest): Promise<Reply> {
    const ctid = await this.#ctid(r);
    const argv = await this.#verbArgv('set', String(ctid), r.body);
    const stdin = this.#stdin(r);
    return this.#task(r, 'set', ctid, async (progress) => ({ ctid, messages: (await this.#vzctl(argv, stdin, progress)).messages }));
  }

  async destroyVe(r: ApiRequest): Promise<Reply> {
    return this.verb(r);
  }

  /** start, stop, restart, mount, umount, destroy: the verb with the body's flags. */
  async verb(r: ApiRequest): Promise<Reply> {
    const ctid = await this.#ctid(r);
    const verb = r.route.verb!;
    const argv = await this.#verbArgv(verb, String(ctid), r.body);
    return this.#task(r, verb, ctid, async (progress) => ({ ctid, messages: (await this.#vzctl(argv, '', progress)).messages }));
  }

  async exec(r: ApiRequest): Promise<Reply> {
    const ctid = await this.#ctid(r);
    const b = r.body ?? {};
    const cmd = b['command'];
    const argv = typeof cmd === 'string' ? ['/bin/sh', '-c', cmd]
      : Array.isArray(cmd) && cmd.length > 0 && cmd.every((a) => typeof a === 'string') ? (cmd as string[])
        : undefined;
    if (!argv) throw vzError('BAD_PARAM', `CT ${ctid}: no command given: "command" is a shell line or an argv array`);
    const input = b['input'];
    if (input !== undefined && typeof input !== 'string') throw vzError('BAD_VALUE', `CT ${ctid}: invalid value for input: a string`);
    const timeout = b['timeout'];
    if (timeout !== undefined && (typeof timeout !== 'number' || !(timeout > 0))) throw vzError('BAD_VALUE', `CT ${ctid}: invalid value for timeout: seconds, above 0`);
    const rt = await this.s.newRuntime(quiet);
    const res = await rt.exec(ctid, { argv, stdio: 'pipe', ...(input !== undefined ? { input } : {}), ...(timeout !== undefined ? { timeoutMs: timeout * 1000 } : {}) });
    return { status: 200, json: { ctid, code: res.code, ...(res.signal ? { signal: res.signal } : {}), stdout: res.stdout ?? '', stderr: res.stderr ?? '' } };
  }

  async toolJson(r: ApiRequest): Promise<Reply> {
    const ctid = await this.#ctid(r);
    const tool = r.route.tool!;
    const described = await this.s.describeRuntime(quiet);
    if (!described.commands.some((c) => c.tool === tool.name)) {
      throw vzError('UNSUPPORTED', `no plugin of this composition provides ${tool.name}`);
    }
    const io = new CapturedIo();
    await runTool(tool.name, tool.argv.map((a) => (a === '{id}' ? String(ctid) : a)), io, this.readFactory, { rethrow: true });
    return { status: 200, json: JSON.parse(io.text('out')) };
  }

  async stats(r: ApiRequest): Promise<Reply> {
    const ctid = await this.#ctid(r);
    const rt = await this.s.newRuntime(quiet, { events: false });
    return { status: 200, json: await rt.stats(ctid) };
  }

  async bulk(r: ApiRequest): Promise<Reply> {
    const op = r.params['op'] as (typeof BULK_OPS)[number];
    if (!BULK_OPS.includes(op)) throw vzError('BAD_PARAM', `unknown bulk operation '${op}' (${BULK_OPS.join(', ')})`);
    const b = r.body ?? {};
    const items = bulkItems(b['ctids']);
    const parallel = b['parallel'] ?? this.s.parallel;
    if (typeof parallel !== 'number' || !Number.isInteger(parallel) || parallel < 1 || parallel > 256) throw vzError('BAD_VALUE', 'invalid value for parallel: 1 to 256');
    const flags = new Set(['fast', 'force', 'skip-umount', 'skip_umount']);
    for (const k of Object.keys(b)) if (!['ctids', 'parallel', 'wait'].includes(k) && !flags.has(k)) throw vzError('BAD_PARAM', `unknown parameter '${k}'`);
    const on = (k: string) => b[k] === true || b[k.replace('-', '_')] === true;
    const rt = await this.s.newRuntime(quiet);
    const ctids = await expandCtidList(items, rt);
    return this.#task(r, `bulk-${op}`, undefined, async (progress) => {
      const past = op === 'start' ? 'started' : op === 'stop' ? 'stopped' : 'restarted';
      const run = (ctid: number) => (op === 'start' ? rt.start(ctid, { force: on('force') })
        : op === 'stop' ? rt.stop(ctid, { fast: on('fast'), skipUmount: on('skip-umount') })
          : rt.restart(ctid, { fast: on('fast'), force: on('force') }));
      const outcomes = await runBulk(ctids, run, {
        parallel,
        onDone: (o: BulkOutcome) => progress(o.ok ? `CT ${o.ctid}: ${past}` : `CT ${o.ctid}: ${withoutCtLabel(o.ctid, o.message ?? '')}`),
      });
      const failed = outcomes.filter((o) => !o.ok).length;
      return { op, total: outcomes.length, ok: outcomes.length - failed, failed, outcomes };
    });
  }

  async listTasks(): Promise<Reply> {
    return { status: 200, json: this.s.tasks.list() };
  }

  async getTask(r: ApiRequest): Promise<Reply> {
    const task = this.s.tasks.get(r.params['taskId']!);
    if (!task) throw vzError('NOT_FOUND', `no task ${r.params['taskId']} (tasks are kept for an hour, and not across a restart of vzkitd)`);
    if (this.#waits(r)) await this.s.tasks.settled(task);
    return { status: 200, json: task };
  }

  /**
   * A vzctl or vz command line, run as vzctl would run it, its output streamed back as
   * NDJSON frames and its exit status last (src/forward.ts of @vzkit/cli is the client).
   * Refused with 412 when the client's settings differ from the daemon's, so that the
   * client runs it itself rather than get another result.
   */
  async cli(r: ApiRequest): Promise<Reply> {
    const b = r.body ?? {};
    const tool = b['tool'];
    const argv = b['argv'];
    if ((tool !== 'vzctl' && tool !== 'vz') || !Array.isArray(argv) || !argv.every((a) => typeof a === 'string')) {
      throw vzError('BAD_PARAM', 'the body needs "tool" (vzctl or vz) and "argv" (strings)');
    }
    const env = (b['env'] ?? {}) as Record<string, unknown>;
    const differs = FORWARDED_ENV.filter((k) => (typeof env[k] === 'string' ? env[k] : '') !== (this.s.env[k] ?? ''));
    const parent = this.s.env['VZKIT_CGROUP_PARENT'] ?? '';
    if (differs.length || (parent.startsWith('@self') && b['cgroup'] !== this.s.ownCgroup)) {
      return { status: 412, json: { code: 'SETTINGS_DIFFER', exit: 3, message: `vzkitd runs with other settings (${differs.join(', ') || 'cgroup'}): run the command yourself` } };
    }
    const { res } = r;
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
    const frame = (f: Frame) => {
      if (!res.destroyed) res.write(`${JSON.stringify(f)}\n`);
    };
    const io = new CapturedIo('', { chunk: (s, text) => frame(s === 'out' ? { o: text } : { e: text }) });
    let exit: number;
    this.forwarded++;
    try {
      exit = tool === 'vzctl' ? await runVzctl(argv as string[], io, this.factory) : await runTool('vz', argv as string[], io, this.factory);
    } catch (e) {
      // The tools report their own failures; anything escaping them is a bug, said as vzctl would.
      io.stderr.write(`${tool}: ${e instanceof Error ? e.message : String(e)}\n`);
      exit = isVzError(e) ? e.exit : 3;
    } finally {
      this.forwarded--;
    }
    frame({ exit });
    res.end();
    return 'streamed';
  }
}

/** `"101-200"`, `"101,105"`, `[101, "web1"]`. */
function bulkItems(v: unknown): ListItem[] {
  if (typeof v === 'number') return [{ ctid: String(v) }];
  if (typeof v === 'string') return parseCtidList(v) ?? [{ ctid: v }];
  if (Array.isArray(v) && v.length > 0) {
    return v.flatMap((x): ListItem[] => {
      if (typeof x === 'number') return [{ ctid: String(x) }];
      if (typeof x === 'string') return parseCtidList(x) ?? [{ ctid: x }];
      throw vzError('BAD_VALUE', `invalid value in ctids: ${JSON.stringify(x)}`);
    });
  }
  throw vzError('BAD_PARAM', 'the body needs "ctids": a list such as "101-200" or "101,105", or an array of CTIDs and names');
}

export type { Handler };
