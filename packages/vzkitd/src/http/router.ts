/**
 * The route table's matcher: routes are data (method, path pattern with `{name}`
 * segments, the handler's name), so the table can be listed, tested and turned into the
 * OpenAPI document without running a handler.
 */
export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface RouteDecl<H extends string = string> {
  method: Method;
  /** `/v1/ves/{id}/start`: literal segments and `{param}` segments. */
  path: string;
  /** The handler that serves it. */
  handler: H;
  /** One line for the OpenAPI document. */
  summary: string;
}

export interface Match<H extends string = string> {
  route: RouteDecl<H>;
  params: Record<string, string>;
}

interface Compiled<H extends string> {
  route: RouteDecl<H>;
  segments: Array<{ literal: string } | { param: string }>;
}

export class Router<H extends string = string> {
  readonly #compiled: Compiled<H>[];

  constructor(readonly routes: readonly RouteDecl<H>[]) {
    this.#compiled = routes.map((route) => ({
      route,
      segments: route.path.split('/').filter(Boolean).map((s) => (/^\{\w+\}$/.test(s) ? { param: s.slice(1, -1) } : { literal: s })),
    }));
  }

  /**
   * The route for `method path`: a match, `'method'` when the path exists for other
   * methods only (405), or undefined (404).
   */
  match(method: string, path: string): Match<H> | 'method' | undefined {
    const parts = path.split('/').filter(Boolean);
    let pathSeen = false;
    for (const c of this.#compiled) {
      if (c.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length && ok; i++) {
        const seg = c.segments[i]!;
        if ('literal' in seg) ok = seg.literal === parts[i];
        else {
          try {
            params[seg.param] = decodeURIComponent(parts[i]!);
          } catch {
            ok = false;
          }
        }
      }
      if (!ok) continue;
      if (c.route.method !== method) {
        pathSeen = true;
        continue;
      }
      return { route: c.route, params };
    }
    return pathSeen ? 'method' : undefined;
  }

  /** Methods served at a path (the Allow header of a 405). */
  allowed(path: string): Method[] {
    const parts = path.split('/').filter(Boolean);
    return this.#compiled
      .filter((c) => c.segments.length === parts.length && c.segments.every((s, i) => !('literal' in s) || s.literal === parts[i]))
      .map((c) => c.route.method);
  }
}
