/**
 * `GET /v1/openapi.json`: the API described from the route table and from the same
 * declarations that make vzctl's flags. A plugin's config key appears once, in its
 * declaration: its flag is a property of the create and set bodies (with the key's
 * name, type argument, description, when it applies and the plugin that owns it), its
 * edit flags are repeatable properties, the vzlist fields are the properties of a VE
 * row. A new plugin's keys show here as they show in `vzctl set --help`.
 */
import { findVerb, keyFlags, whenApplied, type FlagSpec, type KeyFlag } from '@vzkit/cli';
import type { Runtime } from '@vzkit/core';
import { BULK_OPS, type ApiRoute, type Schema } from './api/routes.js';

type Json = Record<string, unknown>;

const SCALAR = { type: ['string', 'number', 'boolean'] };

/** A body property for one flag of a verb. */
function flagProperty(f: FlagSpec, key: KeyFlag | undefined): Json {
  if (f.arg === undefined) return { type: 'boolean', description: f.description };
  const parts = [f.description, `(${f.arg})`];
  if (key) parts.push(`— config key ${key.key.name}, ${whenApplied(key)}; ${key.owner === 'core' ? 'core' : `plugin ${key.owner}`}`);
  const schema: Json = f.repeatable
    ? { anyOf: [SCALAR, { type: 'array', items: SCALAR }] }
    : { ...SCALAR };
  return {
    ...schema,
    description: parts.join(' '),
    ...(key ? { 'x-vzkit-key': key.key.name, 'x-vzkit-plugin': key.owner, 'x-vzkit-live': whenApplied(key) } : {}),
    ...(key?.edit ? { 'x-vzkit-edits': key.key.name } : {}),
  };
}

/** The body of a route that runs `verb`: its flags, generated from the runtime. */
function verbBody(rt: Runtime, verb: string): Json {
  const v = findVerb(verb);
  if (!v) return { type: 'object' };
  const scope = verb === 'create' ? 'create' : verb === 'set' ? 'set' : undefined;
  const keyed = new Map((scope ? keyFlags(rt, scope) : []).map((k) => [k.name, k]));
  const properties: Json = {};
  for (const f of v.flags(rt)) properties[f.name] = flagProperty(f, keyed.get(f.name));
  if (verb === 'create') properties['ctid'] = { type: ['integer', 'string'], description: 'the new VE\'s CTID' };
  if (verb === 'set' || verb === 'create') {
    properties['stdin'] = { type: 'string', description: 'what vzctl would read on stdin: one line per secret a flag leaves out (userpasswd\'s password)' };
  }
  return { type: 'object', properties, additionalProperties: false, ...(verb === 'create' ? { required: ['ctid'] } : {}) };
}

const BODIES: Partial<Record<string, (rt: Runtime, route: ApiRoute) => Json>> = {
  exec: () => ({
    type: 'object', required: ['command'], additionalProperties: false,
    properties: {
      command: { anyOf: [{ type: 'string', description: 'a shell command line (run by /bin/sh -c)' }, { type: 'array', items: { type: 'string' }, description: 'an argv' }] },
      input: { type: 'string', description: 'the command\'s stdin' },
      timeout: { type: 'number', description: 'seconds before it is killed' },
    },
  }),
  bulk: () => ({
    type: 'object', required: ['ctids'], additionalProperties: false,
    properties: {
      ctids: { anyOf: [{ type: 'string', description: 'a CT list: 101-200, 101,105,110-120 (a range means the VEs that exist in it)' }, { type: 'array', items: { type: ['integer', 'string'] } }] },
      parallel: { type: 'integer', minimum: 1, maximum: 256, description: 'VEs worked on at once' },
      fast: { type: 'boolean', description: 'stop, restart: kill at once' },
      force: { type: 'boolean', description: 'start, restart: even when DISABLED=yes' },
      'skip-umount': { type: 'boolean', description: 'stop: leave the roots mounted' },
    },
  }),
  cli: () => ({
    type: 'object', required: ['tool', 'argv'],
    properties: {
      tool: { enum: ['vzctl', 'vz'] },
      argv: { type: 'array', items: { type: 'string' } },
      env: { type: 'object', description: 'the client\'s VZKIT_* settings; the daemon refuses (412) when they differ from its own' },
      cgroup: { type: 'string', description: 'the client\'s /proc/self/cgroup (for @self cgroup parents)' },
    },
  }),
};

function schemas(rt: Runtime): Record<Schema | 'Error', Json> {
  const row: Json = {};
  for (const f of rt.listFields) row[f.name] = { title: f.header.trim() || f.name };
  return {
    Error: {
      type: 'object', required: ['code', 'exit', 'message'],
      properties: {
        code: { type: 'string', description: 'vzkit\'s error code (VE_NOT_FOUND, LOCKED, BAD_VALUE ...)' },
        exit: { type: 'integer', description: 'the exit number vzctl would have' },
        message: { type: 'string', description: 'vzctl\'s one line, naming the CT and the key or value at fault' },
        hint: { type: 'string' },
        messages: { type: 'array', items: { type: 'string' }, description: 'what the operation printed before it failed' },
      },
    },
    Info: { type: 'object' },
    VeList: { type: 'array', items: { type: 'object', properties: row } },
    Ve: {
      type: 'object',
      properties: {
        ctid: { type: 'integer' }, status: { enum: ['running', 'mounted', 'stopped'] }, exist: { type: 'boolean' }, busy: { type: 'boolean' }, pid: { type: 'integer' },
        row: { type: 'object', properties: row }, config: { type: 'object', additionalProperties: { type: 'string' } },
      },
    },
    Messages: { type: 'object', properties: { ctid: { type: 'integer' }, messages: { type: 'array', items: { type: 'string' }, description: 'vzctl\'s messages' } } },
    Task: {
      type: 'object',
      properties: {
        id: { type: 'string' }, op: { type: 'string' }, ctid: { type: 'integer' }, state: { enum: ['running', 'done', 'failed'] },
        created: { type: 'string' }, finished: { type: 'string' }, progress: { type: 'array', items: { type: 'string' } },
        result: {}, error: { $ref: '#/components/schemas/Error' },
      },
    },
    Tasks: { type: 'array', items: { $ref: '#/components/schemas/Task' } },
    Exec: { type: 'object', properties: { ctid: { type: 'integer' }, code: { type: 'integer' }, signal: { type: 'string' }, stdout: { type: 'string' }, stderr: { type: 'string' } } },
    Stats: {
      type: 'array',
      items: { type: 'object', properties: { resource: { type: 'string' }, held: { type: 'number' }, maxheld: { type: 'number' }, barrier: { type: 'number' }, limit: { type: 'number' }, failcnt: { type: 'number' }, status: { enum: ['enforced', 'accounted', 'unsupported'] }, extra: { type: 'object' } } },
    },
    Json: {},
    Bulk: {
      type: 'object',
      properties: {
        op: { type: 'string' }, total: { type: 'integer' }, ok: { type: 'integer' }, failed: { type: 'integer' },
        outcomes: { type: 'array', items: { type: 'object', properties: { ctid: { type: 'integer' }, ok: { type: 'boolean' }, code: { type: 'string' }, exit: { type: 'integer' }, message: { type: 'string' } } } },
      },
    },
  };
}

const ref = (s: string) => ({ $ref: `#/components/schemas/${s}` });

export function openApiDocument(rt: Runtime, routes: readonly ApiRoute[], version: string): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const route of routes) {
    const params: Json[] = [];
    for (const m of route.path.matchAll(/\{(\w+)\}/g)) {
      const name = m[1]!;
      params.push({
        name, in: 'path', required: true,
        schema: name === 'op' ? { enum: [...BULK_OPS] } : { type: 'string' },
        description: name === 'id' ? 'a CTID, or a NAME given with --name' : name === 'taskId' ? 'a task\'s id' : 'the operation',
      });
    }
    for (const q of route.query ?? []) params.push({ name: q.name, in: 'query', required: false, schema: { type: 'string' }, description: q.description });
    const body = route.verb ? verbBody(rt, route.verb) : BODIES[route.handler]?.(rt, route);
    const ok: Json = route.produces
      ? { description: 'OK', content: { [route.produces.split(';')[0]!]: { schema: { type: 'string' } } } }
      : { description: 'OK', content: { 'application/json': { schema: ref(route.returns ?? 'Json') } } };
    const responses: Json = { 200: ok, default: { description: 'vzctl\'s refusal', content: { 'application/json': { schema: ref('Error') } } } };
    if (route.task) responses[202] = { description: 'Accepted: a task (Location: /v1/tasks/{id})', content: { 'application/json': { schema: ref('Task') } } };
    const op: Json = {
      operationId: `${route.method.toLowerCase()}${route.path.replace(/\{(\w+)\}/g, 'By-$1').split(/[/.-]/).filter(Boolean).map((s) => s[0]!.toUpperCase() + s.slice(1)).join('')}`,
      summary: route.summary,
      ...(params.length ? { parameters: params } : {}),
      ...(body && route.method !== 'GET' && route.method !== 'DELETE' ? { requestBody: { required: route.handler !== 'verb', content: { 'application/json': { schema: body } } } } : {}),
      responses,
    };
    (paths[route.path] ??= {})[route.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'vzkitd',
      version,
      description: 'vzkit\'s host daemon. JSON over HTTP on a unix socket (root only), optionally HTTPS with a bearer token. '
        + 'Bodies take vzctl\'s flag names without dashes; errors are {code, exit, message, hint?} with vzctl\'s code and exit number.',
    },
    servers: [{ url: 'http://localhost', description: 'the unix socket <run>/vzkitd.sock (curl --unix-socket)' }],
    components: {
      schemas: schemas(rt),
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'TCP only: the token of the TOKEN_FILE in vzkitd.conf' } },
    },
    paths,
  };
}
