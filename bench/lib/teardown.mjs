// The end of every benchmark that made VEs: stop and destroy them, remove the private
// cgroup parent and the temporary VZKIT_ROOT; what cannot be removed is reported.
import { rmSync } from 'node:fs';
import { run } from './measure.mjs';
import { removeCgroupParent } from './cgroup-parent.mjs';

export function removeBenchVes({ vzctl, ids, env, parentName, root, log }) {
  for (const id of ids) {
    run([...vzctl, 'stop', id, '--fast'], { env, allowFail: true });
    run([...vzctl, 'destroy', id], { env, allowFail: true });
  }
  const left = removeCgroupParent(parentName);
  if (left.length) log(`warning: cgroups left: ${left.join(', ')}`);
  rmSync(root, { recursive: true, force: true });
}
