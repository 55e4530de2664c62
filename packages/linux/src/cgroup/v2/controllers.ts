/**
 * Handing controllers down the unified tree. A group has a controller's files only when
 * its parent lists the controller in cgroup.subtree_control, and a parent may do so only
 * if it holds no processes itself (the "no internal processes" rule; the root cgroup is
 * exempt). So every level above a VE's group enables what vzkit uses and stays empty,
 * and the VE's own group, which holds processes, enables nothing.
 */
import { join } from 'node:path';
import { isVzError, vzError } from '@vzkit/core';
import { parsePids, readOptional, writeCgroupFile } from '../cgroupfs.js';

/** The controllers vzkit drives on v2; others (hugetlb, rdma, misc) are left alone. */
export const V2_CONTROLLERS = ['pids', 'memory', 'cpu', 'cpuset', 'io'] as const;

/** Parses a space-separated controller list (cgroup.controllers, cgroup.subtree_control). */
export function parseControllers(text: string): string[] {
  return text.split(/\s+/).filter((c) => c !== '');
}

/**
 * Enables each of `wanted` that `dir` has (its cgroup.controllers) in its
 * cgroup.subtree_control, one write per controller so a refusal names it; controllers
 * already enabled are not written again. `group` names the ref in errors.
 *
 * Outside the tree's root (`isRoot`), a `dir` holding processes is refused before
 * anything is written: the kernel would take the threaded controllers (pids, cpu,
 * cpuset) and then refuse memory (EOPNOTSUPP or EBUSY), leaving the group half changed.
 */
export async function enableControllers(dir: string, wanted: readonly string[], group: string, isRoot: boolean): Promise<void> {
  const available = parseControllers((await readOptional(join(dir, 'cgroup.controllers'))) ?? '');
  const control = join(dir, 'cgroup.subtree_control');
  const enabled = parseControllers((await readOptional(control)) ?? '');
  const missing = wanted.filter((c) => available.includes(c) && !enabled.includes(c));
  if (missing.length === 0) return;
  if (!isRoot) {
    const pids = parsePids((await readOptional(join(dir, 'cgroup.procs'))) ?? '');
    if (pids.length > 0) throw internalProcesses(dir, missing, pids, group);
  }
  // memory first: the one domain-only controller, refused outright where tasks are.
  for (const c of [...missing].sort((a, b) => Number(b === 'memory') - Number(a === 'memory'))) {
    try {
      await writeCgroupFile(control, `+${c}`);
    } catch (e) {
      // Processes that moved in meanwhile.
      if (isVzError(e) && (e.errno === 'EBUSY' || e.errno === 'EOPNOTSUPP' || e.errno === 'ENOTSUP')) {
        const pids = parsePids((await readOptional(join(dir, 'cgroup.procs')).catch(() => undefined)) ?? '');
        if (pids.length > 0) throw internalProcesses(dir, missing, pids, group, e);
      }
      throw e;
    }
  }
}

/** The error for a `dir` that holds processes and so cannot hand `controllers` down. */
function internalProcesses(dir: string, controllers: string[], pids: number[], group: string, cause?: unknown): Error {
  const which = ` (pids ${pids.slice(0, 5).join(', ')}${pids.length > 5 ? ', ...' : ''})`;
  const path = join(dir, 'cgroup.subtree_control');
  return vzError(
    'UNSUPPORTED',
    `cgroup ${group}: cannot enable ${controllers.join(' ')} in ${path}: the parent cgroup ${dir} holds processes${which}, ` +
      'and cgroup v2 gives controllers only to the children of a group without processes ("no internal processes" rule)',
    {
      errno: 'EBUSY',
      path,
      ...(cause === undefined ? {} : { cause }),
      hint: `put the VEs under a cgroup that holds no processes (VZKIT_CGROUP_PARENT or CGROUP_PARENT), or move the processes of ${dir} into a child cgroup`,
    },
  );
}
