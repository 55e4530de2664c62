/** The route table and its matcher: every route is reachable, and only by its own method. */
import { describe, expect, it } from 'vitest';
import { findVerb } from '@vzkit/cli';
import { Api, ROUTES, Router } from '../src/index.js';
import { Api as ApiClass } from '../src/api/handlers.js';

describe('the route table', () => {
  const router = new Router(ROUTES);

  it('matches each route by its own path and method, with its parameters decoded', () => {
    for (const r of ROUTES) {
      const path = r.path.replace('{id}', 'web%201').replace('{taskId}', 't-1').replace('{op}', 'start');
      const m = router.match(r.method, path);
      expect(m === 'method' || m === undefined ? m : m.route).toBe(r);
      if (r.path.includes('{id}') && m && m !== 'method') expect(m.params['id']).toBe('web 1');
    }
  });

  it('says 405 for a path served by other methods, with those methods, and 404 for others', () => {
    expect(router.match('PUT', '/v1/ves/101')).toBe('method');
    expect(router.allowed('/v1/ves/101').sort()).toEqual(['DELETE', 'GET', 'PATCH']);
    expect(router.match('GET', '/v1/ves/101/nosuch')).toBeUndefined();
    expect(router.match('GET', '/v2/ves')).toBeUndefined();
  });

  it('names a handler that exists for every route, and a vzctl verb where it runs one', () => {
    for (const r of ROUTES) {
      expect(typeof (ApiClass.prototype as unknown as Record<string, unknown>)[r.handler]).toBe('function');
      if (r.verb) expect(findVerb(r.verb)?.name).toBe(r.verb);
    }
    expect(Api).toBe(ApiClass);
  });

  it('has the routes the issue asks for', () => {
    const have = new Set(ROUTES.map((r) => `${r.method} ${r.path}`));
    for (const need of [
      'GET /v1/ves', 'POST /v1/ves', 'GET /v1/ves/{id}', 'PATCH /v1/ves/{id}', 'DELETE /v1/ves/{id}',
      'POST /v1/ves/{id}/start', 'POST /v1/ves/{id}/stop', 'POST /v1/ves/{id}/restart', 'POST /v1/ves/{id}/exec',
      'POST /v1/ves/{id}/mount', 'POST /v1/ves/{id}/umount', 'GET /v1/ves/{id}/beancounters', 'GET /v1/openapi.json',
      'GET /v1/events', 'GET /metrics', 'GET /v1/tasks/{taskId}', 'POST /v1/bulk/{op}',
    ]) expect(have).toContain(need);
  });
});
