/**
 * Turning a CgroupRef into directories. `vzkit/101` lives at the top of each hierarchy;
 * `@self/vzkit-test-1/101` lives below the calling process's own cgroup, which differs
 * per hierarchy (here memory is /process_api/<id> while the others are at /).
 */
import { join, posix } from 'node:path';
import { vzError } from '@vzkit/core';
import { parseRef, type ResolvedGroup } from '../ref.js';
import type { Hierarchy } from './hierarchy.js';

/** Parses /proc/self/cgroup (`4:memory:/a/b`) into controller → path; named and v2 lines are skipped. */
export function parseProcCgroup(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const controllers = line.slice(first + 1, second);
    const path = line.slice(second + 1).trim();
    for (const c of controllers.split(',')) {
      if (c !== '' && !c.startsWith('name=')) out.set(c, path);
    }
  }
  return out;
}

export { parseRef, type ResolvedGroup } from '../ref.js';

/** Resolves a ref in one hierarchy, given the caller's cgroups from /proc/self/cgroup. */
export function resolveGroup(ref: string, hierarchy: Hierarchy, selfCgroups: Map<string, string>): ResolvedGroup {
  const { self, segments } = parseRef(ref);
  let base = hierarchy.mountPoint;
  if (self) {
    const controller = hierarchy.controllers[0]!;
    const own = selfCgroups.get(controller);
    if (own === undefined) {
      throw vzError('SYSTEM', `cannot resolve ${ref}: no ${controller} line in /proc/self/cgroup`);
    }
    // Inside a container the mount shows a subtree; our path is relative to its top.
    const rel = posix.relative(hierarchy.root, own);
    if (rel.startsWith('..')) {
      throw vzError('SYSTEM', `cannot resolve ${ref}: our ${controller} cgroup ${own} is outside the mounted ${hierarchy.root}`);
    }
    base = join(hierarchy.mountPoint, rel);
  }
  return { base, dir: join(base, ...segments), segments };
}
