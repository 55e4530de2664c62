/**
 * Group refs, shared by both backends: `vzkit/101` names a group below the top of the
 * cgroup tree, `@self/vzkit-test/101` one below the calling process's own cgroup.
 */
import { vzError } from '@vzkit/core';

const SELF = '@self';

/** Where a group sits in one hierarchy (v1) or in the unified tree (v2). */
export interface ResolvedGroup {
  /** The directory vzkit may create below: the top of the tree, or our own cgroup for `@self`. */
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
