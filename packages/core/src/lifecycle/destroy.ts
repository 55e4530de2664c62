/** `vzctl destroy`: refused while running; unmounts, then removes what create made and the config. */
import { vzError } from '../errors.js';
import { faultPoint } from '../fault.js';
import { newState } from '../state.js';
import type { Ve } from './ve.js';
import { withHook } from './hooks.js';
import { rollbackCreate } from './create.js';
import { umountVe } from './mount.js';

export async function destroyVe(ve: Ve): Promise<void> {
  if (ve.state && ve.state.phase !== 'mounted') {
    throw vzError('VE_RUNNING', `${ve.label} is running: stop it first`, { about: ve.label, hint: `vzctl stop ${ve.ctid}` });
  }
  if (ve.state?.phase === 'mounted') await umountVe(ve);
  ve.state = newState(ve.ctid, 'destroying', 'destroy');
  ve.state.prepared = withHook(ve, 'destroy').map((p) => p.name);
  await ve.saveState();
  faultPoint('destroy', 'intent');
  try {
    await rollbackCreate(ve);
  } catch (e) {
    throw vzError('DESTROY_FAILED', `${ve.label}: destroy failed: ${(e as Error).message}`, { about: ve.label, cause: e });
  }
  // The parent of the VEs' groups goes with the last VE (it stays while any VE runs or starts).
  const parent = ve.cgroup.slice(0, ve.cgroup.lastIndexOf('/'));
  if (parent && parent !== '@self') {
    await ve.core.host.cgroups.prune(parent).catch((e: unknown) => ve.core.log.warn(`${ve.label}: cgroup ${parent} left: ${(e as Error).message}`));
  }
  ve.core.events.emit('ve:destroyed', ve.ctid);
}
