/**
 * The API's route table. Routes are data: the handler that serves each, the vzctl verb
 * whose flags make its body, the tool whose JSON answers a read, whether it is long
 * (a task); the server dispatches from it and the OpenAPI document is generated from it
 * and from the plugins' declarations.
 */
import type { RouteDecl } from '../http/router.js';

export type Handler =
  | 'info' | 'openapi' | 'metrics' | 'events' | 'cli'
  | 'listVes' | 'getVe' | 'createVe' | 'setVe' | 'destroyVe' | 'verb' | 'exec'
  | 'toolJson' | 'stats' | 'bulk' | 'listTasks' | 'getTask';

export type Schema = 'Info' | 'VeList' | 'Ve' | 'Messages' | 'Task' | 'Tasks' | 'Exec' | 'Stats' | 'Json' | 'Bulk';

export interface ApiRoute extends RouteDecl<Handler> {
  /** The vzctl verb run (its flags are the body's keys). */
  verb?: string;
  /** A read answered by a tool's JSON output: tool and argv, `{id}` being the CTID. */
  tool?: { name: string; argv: readonly string[] };
  /** Long: answered 202 with a task unless `?wait=1`. */
  task?: boolean;
  query?: ReadonlyArray<{ name: string; description: string }>;
  /** What the 2xx answer holds. */
  returns?: Schema;
  /** Text answers: `text/plain` (metrics), `text/event-stream` (events), NDJSON (cli). */
  produces?: string;
}

const WAIT = { name: 'wait', description: 'answer when the operation has finished (200 with its result) instead of at once with a task (202)' };

export const ROUTES: readonly ApiRoute[] = [
  { method: 'GET', path: '/v1', handler: 'info', summary: 'vzkitd itself: version, vzkit root, pids, plugins', returns: 'Info' },
  { method: 'GET', path: '/v1/openapi.json', handler: 'openapi', summary: 'This API as an OpenAPI 3.1 document, generated from the plugins\' declarations', returns: 'Json' },
  { method: 'GET', path: '/metrics', handler: 'metrics', summary: 'Prometheus metrics of every running VE (beancounters, CPU, disk, network, state)', produces: 'text/plain; version=0.0.4' },
  {
    method: 'GET', path: '/v1/events', handler: 'events', summary: 'Server-sent events: VE state changes, beancounter fail counts, OOM kills, quota limits, guest reboot and halt',
    produces: 'text/event-stream',
    query: [
      { name: 'types', description: 'comma-separated event types, `*` at the end matches a prefix (`ve:*,ubc:failcnt`)' },
      { name: 'ctid', description: 'only events of these CTIDs (comma-separated)' },
    ],
  },
  { method: 'GET', path: '/v1/ves', handler: 'listVes', summary: 'Every VE, as `vzlist -a -j` (fields as vzlist -o)', returns: 'VeList',
    query: [{ name: 'o', description: 'vzlist fields, comma-separated' }, { name: 'running', description: '1: running VEs only (vzlist without -a)' }] },
  { method: 'POST', path: '/v1/ves', handler: 'createVe', verb: 'create', task: true, summary: 'Create a VE (vzctl create): body {"ctid": 101, "ostemplate": "busybox", ...}', returns: 'Messages', query: [WAIT] },
  { method: 'GET', path: '/v1/ves/{id}', handler: 'getVe', summary: 'One VE: status, its vzlist row and its config', returns: 'Ve' },
  { method: 'PATCH', path: '/v1/ves/{id}', handler: 'setVe', verb: 'set', summary: 'Change parameters (vzctl set): live where possible; "save": true writes the config', returns: 'Messages' },
  { method: 'DELETE', path: '/v1/ves/{id}', handler: 'destroyVe', verb: 'destroy', task: true, summary: 'Destroy a stopped VE (vzctl destroy)', returns: 'Messages', query: [WAIT] },
  { method: 'POST', path: '/v1/ves/{id}/start', handler: 'verb', verb: 'start', task: true, summary: 'Start (vzctl start)', returns: 'Messages', query: [WAIT] },
  { method: 'POST', path: '/v1/ves/{id}/stop', handler: 'verb', verb: 'stop', task: true, summary: 'Stop: the guest halts, what is left after STOP_TIMEOUT is killed (vzctl stop)', returns: 'Messages', query: [WAIT] },
  { method: 'POST', path: '/v1/ves/{id}/restart', handler: 'verb', verb: 'restart', task: true, summary: 'Restart (vzctl restart)', returns: 'Messages', query: [WAIT] },
  { method: 'POST', path: '/v1/ves/{id}/mount', handler: 'verb', verb: 'mount', task: true, summary: 'Mount the VE\'s root on the host (vzctl mount)', returns: 'Messages', query: [WAIT] },
  { method: 'POST', path: '/v1/ves/{id}/umount', handler: 'verb', verb: 'umount', task: true, summary: 'Unmount it (vzctl umount)', returns: 'Messages', query: [WAIT] },
  { method: 'POST', path: '/v1/ves/{id}/exec', handler: 'exec', summary: 'Run a command inside (vzctl exec): body {"command": "ps ax"} or an argv array, "input" for its stdin', returns: 'Exec' },
  { method: 'GET', path: '/v1/ves/{id}/beancounters', handler: 'toolJson', tool: { name: 'vzubc', argv: ['-j', '{id}'] }, summary: 'Beancounters (vzubc -j)', returns: 'Json' },
  { method: 'GET', path: '/v1/ves/{id}/quota', handler: 'toolJson', tool: { name: 'vzquota', argv: ['stat', '{id}', '-j'] }, summary: 'Disk quota (vzquota stat -j)', returns: 'Json' },
  { method: 'GET', path: '/v1/ves/{id}/stats', handler: 'stats', summary: 'Every counter row the plugins report (beancounters, CPU, quota, uptime)', returns: 'Stats' },
  { method: 'POST', path: '/v1/bulk/{op}', handler: 'bulk', task: true, summary: 'start, stop or restart many VEs: body {"ctids": "101-200"} (or a list), "parallel", and the verb\'s flags', returns: 'Bulk', query: [WAIT] },
  { method: 'GET', path: '/v1/tasks', handler: 'listTasks', summary: 'Tasks of the last hour', returns: 'Tasks' },
  { method: 'GET', path: '/v1/tasks/{taskId}', handler: 'getTask', summary: 'One task: state, progress lines, result or error', returns: 'Task', query: [WAIT] },
  { method: 'POST', path: '/v1/cli', handler: 'cli', summary: 'Run a vzctl or vz command line as vzctl would (what vzctl forwards to vzkitd); NDJSON frames {"o"}|{"e"}|{"exit"}', produces: 'application/x-ndjson' },
];

/** The verbs `/v1/bulk/{op}` takes. */
export const BULK_OPS = ['start', 'stop', 'restart'] as const;
