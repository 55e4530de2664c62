/**
 * Turning a CgroupRef into directories. `vzkit/101` lives at the top of each hierarchy;
 * `@self/vzkit-test-1/101` lives below the calling process's own cgroup, which differs
 * per hierarchy (here memory is /process_api/<id> while the others are at /).
 */
import { join, posix } from 'node:path';
import { vzError } from '@vzkit/core';
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

const SELF = '@self';

/** Where a group sits in one hierarchy. */
export interface ResolvedGroup {
  /** The directory vzkit may create below: the mount point, or our own cgroup for `@self`. */
  base: string;
  /** The group's directory. */
  dir: string;
  /** The group's path components below `base`. */
  segments: string[];
}

/**
 * Splits a ref into `@self` or not plus its components. A ref that names no group below
 * its base (`@self`, `/`, `a/../..`) is refused: create/kill/destroy on it would act on
 * the caller's own cgroup or a hierarchy root.
 */
export function parseRef(ref: string): { self: boolean; segments: string[] } {
  const parts = ref.split('/');
  const self = parts[0] === SELF;
  const segments = (self ? parts.slice(1) : parts).filter((p) => p !== '');
  if (segments.length === 0 || segments.some((s) => s === '.' || s === '..' || s === SELF || s.includes('\0'))) {
    throw vzError('BAD_VALUE', `invalid cgroup ${JSON.stringify(ref)}: expected a path such as vzkit/101 or @self/vzkit-test/101`);
  }
  return { self, segments };
}

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
