// Benchmarks put every cgroup under the caller's own cgroup (@self) in a private parent,
// and remove that parent at the end, in every v1 hierarchy where it was made.
import { readFileSync, readdirSync, rmdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

export function selfCgroupDirs(name) {
  const dirs = [];
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n')) {
    const [, ctrls, path] = line.split(':');
    if (!ctrls) continue;
    const mount = ctrls.startsWith('name=') ? null : join('/sys/fs/cgroup', ctrls.split(',')[0]);
    if (mount && existsSync(mount)) dirs.push(join(mount, path, name));
  }
  return dirs;
}

/** Removes the parent and anything left below it (deepest first); errors are reported, not thrown. */
export function removeCgroupParent(name) {
  const left = [];
  const rm = (dir) => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) rm(join(dir, e.name));
    try {
      rmdirSync(dir);
    } catch (e) {
      left.push(`${dir}: ${e.code}`);
    }
  };
  for (const d of selfCgroupDirs(name)) rm(d);
  return left;
}

/**
 * lxc-execute (with lxc.cgroup.relative) leaves an empty `lxc.pivot` cgroup below the
 * caller's own cgroup in every hierarchy, the named and unified ones too: remove those,
 * by that name, and nothing else (rmdir removes only empty cgroups).
 */
export function removeLxcPivot() {
  const left = [];
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n')) {
    const [, ctrls, path] = line.split(':');
    const mount = ctrls === '' ? (existsSync('/sys/fs/cgroup/unified') ? '/sys/fs/cgroup/unified' : '/sys/fs/cgroup')
      : join('/sys/fs/cgroup', ctrls.startsWith('name=') ? ctrls.slice(5) : ctrls.split(',')[0]);
    const dir = join(mount, path, 'lxc.pivot');
    if (!existsSync(dir)) continue;
    try {
      rmdirSync(dir);
    } catch (e) {
      left.push(`${dir}: ${e.code}`);
    }
  }
  return left;
}
