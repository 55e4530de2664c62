/**
 * Every verb starts by reconciling the recorded state with the kernel (runc's
 * refreshState): vzctl runs are separate processes and one may have been killed.
 * A VE whose init is gone is cleaned up and shown stopped; an operation that was killed
 * half-way (its lock holder is dead) is undone or finished.
 */
import type { Ve } from './ve.js';
import { teardown, umountAll, Failures } from './teardown.js';
import { rollbackCreate } from './create.js';
import { undoConversion } from './convert.js';
import { undoHold } from './hold.js';

export type LiveStatus = 'stopped' | 'mounted' | 'running' | 'busy';

/** True when init recorded in the state still runs. */
export async function initAlive(ve: Ve): Promise<boolean> {
  const st = ve.state;
  return !!st?.pid && (await ve.core.host.processes.alive(st.pid, st.startTime));
}

/**
 * Brings the state in line with reality. Call with the VE's lock held: the phase of a
 * state whose writer still runs is not stale.
 */
export async function reconcile(ve: Ve): Promise<void> {
  const st = ve.state;
  if (!st) return;
  // A hold whose holder died (a killed vzdump): thaw, unmount, remove its partial files.
  if (st.hold && (st.phase === 'running' || st.phase === 'mounted') && (await undoHold(ve))) return;
  switch (st.phase) {
    case 'running':
      if (!(await initAlive(ve))) (await teardown(ve, { umount: true })).throwIfAny();
      return;
    case 'mounted':
      return;
    case 'starting':
    case 'stopping':
      // Killed mid-start or mid-stop: finish the way back to stopped.
      (await teardown(ve, { umount: true })).throwIfAny();
      return;
    case 'mounting': {
      const f = new Failures(ve.label);
      await umountAll(ve, f);
      f.throwIfAny();
      await ve.store.remove();
      return;
    }
    case 'creating':
    case 'destroying':
      await rollbackCreate(ve);
      return;
    case 'converting':
      await undoConversion(ve);
      return;
  }
}

/** Status for read-only callers, without waiting for or taking a lock held by others. */
export async function liveStatus(ve: Ve): Promise<LiveStatus> {
  const st = ve.state;
  if (!st) return 'stopped';
  if (!st.hold) {
    if (st.phase === 'mounted') return 'mounted';
    if (st.phase === 'running' && (await initAlive(ve))) return 'running';
  }
  const holder = await ve.lock.holder();
  // Held still by a holder that lives (a backup): as it is.
  if (holder && st.hold && st.phase === 'mounted') return 'mounted';
  if (holder && st.hold && st.phase === 'running' && (await initAlive(ve))) return 'running';
  if (holder) return 'busy';
  // Stale: clean it up now if nobody else is on it (every vzlist/vzctl call reconciles).
  try {
    await ve.lock.acquire({ op: 'reconcile' });
  } catch {
    return 'busy';
  }
  try {
    ve.state = await ve.store.read();
    await reconcile(ve);
  } finally {
    await ve.lock.release();
  }
  return ve.state?.phase === 'mounted' ? 'mounted' : (await initAlive(ve)) ? 'running' : 'stopped';
}
