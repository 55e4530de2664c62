// The end of every benchmark that made VEs: stop and destroy them (a few at a time),
// remove the private cgroup parent and the temporary VZKIT_ROOT; what cannot be
// removed is reported.
import { rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { pool, timedAsync } from './measure.mjs';
import { removeCgroupParent } from './cgroup-parent.mjs';

export async function removeBenchVes({ vzctl, ids, env, parentName, root, log, mounts = [] }) {
  await pool([...ids], 4, async (id) => {
    await timedAsync([...vzctl, 'stop', String(id), '--fast'], { env, allowFail: true, timeout: 60_000 });
    await timedAsync([...vzctl, 'destroy', String(id)], { env, allowFail: true, timeout: 60_000 });
  });
  const left = removeCgroupParent(parentName);
  if (left.length) log(`warning: cgroups left: ${left.join(', ')}`);
  // Detached (not just unmounted): whatever a VE left mounted under it goes too, and
  // the removal below cannot walk into a mount.
  for (const m of mounts) if (spawnSync('umount', ['-l', m]).status !== 0) log(`warning: ${m} stays mounted`);
  rmSync(root, { recursive: true, force: true });
}
