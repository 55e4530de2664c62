/**
 * The order in which plugins' hooks run, from what they declare — never from the order
 * a composition lists them in, so `[nsFs, quota]` and `[quota, nsFs]` run alike:
 *
 * - `requires`: plugins that must be composed, and run first;
 * - `after`: plugins that run first when they are composed (a soft `requires`);
 * - `before`: plugins that run later when they are composed.
 *
 * Among plugins free to go, the one whose name sorts first goes (Kahn's algorithm with
 * a sorted queue): the same plugins give the same order whatever their listing. A
 * missing `requires` and a cycle are refused with the names involved. Teardown runs the
 * order in reverse.
 */
import { vzError } from './errors.js';
import type { Plugin } from './plugin.js';

export function orderPlugins(plugins: readonly Plugin<any, any>[]): Plugin<any, any>[] {
  const byName = new Map<string, Plugin<any, any>>();
  for (const p of plugins) {
    if (byName.has(p.name)) throw vzError('PLUGIN', `plugin ${p.name} is registered twice`);
    byName.set(p.name, p);
  }
  // first → the plugins that must wait for it.
  const edges = new Map<string, Set<string>>([...byName.keys()].map((n) => [n, new Set<string>()]));
  const edge = (first: string, then: string) => edges.get(first)!.add(then);
  for (const p of plugins) {
    for (const r of p.requires ?? []) {
      if (!byName.has(r)) {
        throw vzError('PLUGIN', `plugin ${p.name} requires ${r}, which is not registered`, { hint: `add ${r} to the runtime's plugins` });
      }
      edge(r, p.name);
    }
    for (const a of p.after ?? []) if (byName.has(a)) edge(a, p.name);
    for (const b of p.before ?? []) if (byName.has(b)) edge(p.name, b);
  }
  const waiting = new Map<string, number>([...byName.keys()].map((n) => [n, 0]));
  for (const thens of edges.values()) for (const t of thens) waiting.set(t, waiting.get(t)! + 1);
  const ready = [...waiting].filter(([, n]) => n === 0).map(([name]) => name);
  const ordered: Plugin<any, any>[] = [];
  while (ready.length) {
    ready.sort();
    const name = ready.shift()!;
    ordered.push(byName.get(name)!);
    for (const t of edges.get(name)!) {
      waiting.set(t, waiting.get(t)! - 1);
      if (waiting.get(t) === 0) ready.push(t);
    }
  }
  if (ordered.length < byName.size) {
    throw vzError('PLUGIN', `plugins are ordered in a cycle: ${cycle(edges, new Set(ordered.map((p) => p.name))).join(' -> ')}`, {
      hint: 'their requires, after and before declarations contradict each other',
    });
  }
  return ordered;
}

/** One cycle among the plugins not ordered, as a path that ends where it began. */
function cycle(edges: Map<string, Set<string>>, done: Set<string>): string[] {
  const start = [...edges.keys()].find((n) => !done.has(n))!;
  const path = [start];
  for (;;) {
    const next = [...edges.get(path[path.length - 1]!)!].filter((n) => !done.has(n)).sort()[0]!;
    const seen = path.indexOf(next);
    if (seen >= 0) return [...path.slice(seen), next];
    path.push(next);
  }
}
