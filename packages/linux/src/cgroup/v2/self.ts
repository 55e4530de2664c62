/**
 * Turning a CgroupRef into a directory of the unified tree. `vzkit/101` lives at the
 * top of the tree; `@self/vzkit-test-1/101` below the calling process's own cgroup, the
 * `0::/path` line of /proc/self/cgroup.
 */
import { join, posix } from 'node:path';
import { vzError } from '@vzkit/core';
import { parseRef, type ResolvedGroup } from '../ref.js';
import { parseCgroupMounts } from '../v1/hierarchy.js';

/** The unified path from /proc/self/cgroup (`0::/a/b`), or undefined without that line. */
export function parseUnifiedPath(text: string): string | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('0::')) return line.slice(3).trim();
  }
  return undefined;
}

/**
 * The cgroup the cgroup2 mount at `root` shows as its top (`/` on a host, a subtree in
 * some containers), or undefined when the table has no cgroup2 mount there.
 */
export function unifiedMountRoot(mountTable: string, root: string): string | undefined {
  return parseCgroupMounts(mountTable).find((m) => m.fstype === 'cgroup2' && m.mountPoint === root)?.root;
}

/**
 * Resolves a ref in the tree mounted at `root`. `own` is our unified path and
 * `mountRoot` the mount's top, both as the kernel shows them; `@self` needs `own`.
 */
export function resolveUnifiedGroup(ref: string, root: string, own: string | undefined, mountRoot = '/'): ResolvedGroup {
  const { self, segments } = parseRef(ref);
  let base = root;
  if (self) {
    if (own === undefined) throw vzError('SYSTEM', `cannot resolve ${ref}: no 0:: line in /proc/self/cgroup`);
    // Inside a container the mount shows a subtree; our path is relative to its top.
    // A process outside its cgroup namespace sees `/..`, which lands here too.
    const rel = posix.relative(mountRoot, posix.resolve('/', own));
    if (rel.startsWith('..') || own.split('/').includes('..')) {
      throw vzError('SYSTEM', `cannot resolve ${ref}: our cgroup ${own} is outside the mounted ${mountRoot}`);
    }
    base = join(root, rel);
  }
  return { base, dir: join(base, ...segments), segments };
}
