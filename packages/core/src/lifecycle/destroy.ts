/** `vzctl destroy`: refused while running; unmounts, then removes what create made and the config. */
import { vzError } from '../errors.js';
import { faultPoint } from '../fault.js';
import { newState } from '../state.js';
import type { Ve } from './core.js';
import { withHook } from './hooks.js';
import { rollbackCreate } from './create.js';
import { umountVe } from './mount.js';

export async function destroyVe(ve: Ve): Promise<void> {
  if (ve.state && ve.state.phase !== 'mounted') {
    throw vzError('VE_RUNNING', `${ve.label} is running: stop it first`, { hint: `vzctl stop ${ve.ctid}` });
  }
  if (ve.state?.phase === 'mounted') await umountVe(ve);
  ve.state = newState(ve.ctid, 'destroying', 'destroy');
  ve.state.prepared = withHook(ve, 'destroy').map((p) => p.name);
  await ve.saveState();
  faultPoint('destroy', 'intent');
  try {
    await rollbackCreate(ve);
  } catch (e) {
    throw vzError('DESTROY_FAILED', `${ve.label}: destroy failed: ${(e as Error).message}`, { cause: e });
  }
  ve.core.events.emit('ve:destroyed', ve.ctid);
}
