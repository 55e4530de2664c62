/**
 * The listeners: HTTP on a unix socket `<run>/vzkitd.sock` made 0600 and owned by root
 * (the file's mode is the access control, as for docker.sock: whoever may connect may
 * do what root does with vzctl), and optionally HTTPS on TCP, where every request must
 * carry the bearer token. node:http and node:https only; routes come from the table.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, readFileSync, unlinkSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { dirname } from 'node:path';
import { vzError } from '@vzkit/core';
import type { Api, Reply } from '../api/handlers.js';
import type { ApiRoute, Handler } from '../api/routes.js';
import { asVzError, errorBody, statusOf } from './errors.js';
import type { Router } from './router.js';

/** The largest request body taken (a create with many flags is a few kilobytes). */
const MAX_BODY = 1 << 20;

export interface TcpOptions {
  host: string;
  port: number;
  /** PEM files. */
  cert: string;
  key: string;
  /** The bearer token every request must carry. */
  token: string;
}

export interface ServerOptions {
  socketPath: string;
  tcp?: TcpOptions;
}

function send(res: ServerResponse, reply: Exclude<Reply, 'streamed'>): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  if ('text' in reply) {
    res.writeHead(reply.status, { 'content-type': reply.contentType, 'content-length': Buffer.byteLength(reply.text) });
    res.end(reply.text);
    return;
  }
  const body = `${JSON.stringify(reply.json)}\n`;
  res.writeHead(reply.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...(reply.headers ?? {}) });
  res.end(body);
}

function refuse(res: ServerResponse, e: unknown, headers: Record<string, string> = {}): void {
  const err = asVzError(e);
  send(res, { status: statusOf(err.code), json: errorBody(err), headers });
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw vzError('PAYLOAD_TOO_LARGE', `the request body is larger than ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw vzError('BAD_PARAM', `the request body is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw vzError('BAD_PARAM', 'the request body must be a JSON object');
  return v as Record<string, unknown>;
}

/** Constant-time comparison of a presented token with the configured one. */
export function tokenMatches(presented: string | undefined, token: string): boolean {
  if (presented === undefined) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}

export class ApiServer {
  readonly #servers: Server[] = [];

  constructor(private readonly router: Router<Handler>, private readonly api: Api, private readonly opts: ServerOptions) {}

  async #serve(req: IncomingMessage, res: ServerResponse, token: string | undefined): Promise<void> {
    try {
      if (token !== undefined) {
        const auth = req.headers.authorization;
        const presented = auth?.startsWith('Bearer ') ? auth.slice(7).trim() : undefined;
        if (!tokenMatches(presented, token)) {
          refuse(res, vzError('UNAUTHORIZED', 'a bearer token is required (Authorization: Bearer TOKEN)', { exit: 12 }), { 'www-authenticate': 'Bearer' });
          return;
        }
      }
      const url = new URL(req.url ?? '/', 'http://vzkitd');
      const match = this.router.match(req.method ?? 'GET', url.pathname);
      if (match === undefined) throw vzError('NOT_FOUND', `no such resource: ${url.pathname}`, { hint: 'see GET /v1/openapi.json' });
      if (match === 'method') {
        refuse(res, vzError('METHOD_NOT_ALLOWED', `${req.method} is not served at ${url.pathname}`), { allow: this.router.allowed(url.pathname).join(', ') });
        return;
      }
      const body = req.method === 'GET' ? undefined : await readBody(req);
      const reply = await this.api.handle({ route: match.route as ApiRoute, params: match.params, query: url.searchParams, body, req, res });
      if (reply !== 'streamed') send(res, reply);
    } catch (e) {
      refuse(res, e);
    }
  }

  /** Starts every listener; fails (BAD_CONFIG) when one cannot be made. */
  async listen(): Promise<void> {
    const { socketPath, tcp } = this.opts;
    mkdirSync(dirname(socketPath), { recursive: true, mode: 0o755 });
    // A socket left by a vzkitd that died: the reaper's lock says no other one runs.
    try {
      if (lstatSync(socketPath).isSocket()) unlinkSync(socketPath);
    } catch {
      // none
    }
    const unix = createServer((req, res) => void this.#serve(req, res, undefined));
    // Made with umask 077: no moment in which others could connect before the chmod.
    const umask = process.umask(0o077);
    try {
      await new Promise<void>((resolve, reject) => {
        unix.once('error', reject);
        unix.listen(socketPath, () => resolve());
      });
    } finally {
      process.umask(umask);
    }
    chmodSync(socketPath, 0o600);
    this.#servers.push(unix);
    if (tcp) {
      let cert: Buffer;
      let key: Buffer;
      try {
        cert = readFileSync(tcp.cert);
        key = readFileSync(tcp.key);
      } catch (e) {
        throw vzError('BAD_CONFIG', `vzkitd: TLS certificate or key: ${e instanceof Error ? e.message : String(e)}`);
      }
      const https = createTlsServer({ cert, key, minVersion: 'TLSv1.2' }, (req, res) => void this.#serve(req, res, tcp.token));
      await new Promise<void>((resolve, reject) => {
        https.once('error', (e) => reject(vzError('BAD_CONFIG', `vzkitd: listen on ${tcp.host}:${tcp.port}: ${e.message}`)));
        https.listen(tcp.port, tcp.host, () => resolve());
      });
      this.#servers.push(https);
    }
  }

  /** The TCP port actually bound (when asked for port 0). */
  tcpPort(): number | undefined {
    const a = this.#servers[1]?.address();
    return typeof a === 'object' && a ? a.port : undefined;
  }

  /** Takes no new connection; the socket file goes. Requests in flight go on. */
  stopListening(): Promise<void> {
    const closed = Promise.all(this.#servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    for (const s of this.#servers) s.closeIdleConnections();
    try {
      unlinkSync(this.opts.socketPath);
    } catch {
      // gone
    }
    return closed.then(() => undefined);
  }

  /** Ends every connection left (event streams). */
  closeConnections(): void {
    for (const s of this.#servers) s.closeAllConnections();
  }
}
