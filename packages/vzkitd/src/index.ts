/**
 * @vzkit/vzkitd — vzkit's host daemon: the JSON API over a unix socket, events, metrics,
 * supervision of guest reboot and halt, bulk operations. `vzkitd` (src/bin) runs it;
 * {@link Daemon} embeds it (tests compose it on FakeHost).
 * @packageDocumentation
 */
export { Daemon, type DaemonOptions } from './daemon.js';
export { main } from './main.js';
export { parseSettings, USAGE, type Settings } from './options.js';
export { ROUTES, BULK_OPS, type ApiRoute, type Handler } from './api/routes.js';
export { Api, type ApiServices, type ApiRequest, type Reply } from './api/handlers.js';
export { Router, type RouteDecl, type Match, type Method } from './http/router.js';
export { statusOf, errorBody, asVzError, type ErrorBody } from './http/errors.js';
export { argvFromBody } from './api/body.js';
export { openApiDocument } from './openapi.js';
export { MetricsText, Metrics, escapeLabel, formatValue } from './metrics.js';
export { EventHub, eventFilter, sseText, type HubEvent } from './hub.js';
export { Inventory, type VeEntry } from './inventory.js';
export { Supervisor } from './supervisor.js';
export { Tasks, type Task } from './tasks.js';
export { initEnd, describeEnd, type InitEnd } from './wait-status.js';
export { tokenMatches } from './http/server.js';
import './events.js';
