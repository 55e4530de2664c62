/**
 * Holding a VE still while something reads its files from the host (a backup): the VE's
 * lock is held throughout, so no other operation starts, stops or changes it meanwhile.
 * A running VE is frozen (`suspend`: its cgroup's freezer, thawed afterwards) or stopped
 * with its root left mounted (`stop`: started again afterwards); a stopped VE is mounted
 * for the reader and unmounted afterwards; one the administrator mounted stays as it is.
 *
 * What the hold did is in the VE's state before it does it (`hold`), so that when its
 * vzctl is killed the next operation on the VE undoes it (reconcile.ts): it thaws the
 * VE, or unmounts one mounted for the hold, and removes the files the holder was
 * writing. A VE stopped for a hold is not started again by whoever finds it so — a
 * start as a side effect of `vzlist` would surprise — but that operation says so.
 */
import { isVzError, vzError, wrapError } from '../errors.js';
import { faultPoint } from '../fault.js';
import type { VeContext } from '../plugin.js';
import { newState, type HoldRecord } from '../state.js';
import type { Ve } from './ve.js';
import { mountPlugins } from './mount.js';
import { startVe } from './start.js';
import { stopVe } from './stop.js';
import { Failures, umountAll } from './teardown.js';

/** OpenVZ's VZ_CHKPNT_ERROR: the VE could not be suspended. */
const VE_FREEZE_EXIT = 16;

/** How a running VE is held still: stopped, or its processes frozen. */
export type HoldMode = 'stop' | 'suspend';

/** What a holder's function gets. */
export interface HeldVe {
  /** The VE as hooks see it: config, paths (its private area), id mapping. */
  readonly ve: VeContext;
  /** Its config file's text as saved (comments kept; no value a `set` without --save applied). */
  readonly configFile: string;
  /** What the VE was when the hold began. */
  readonly was: 'running' | 'mounted' | 'stopped';
  /** What was done to hold it: `frozen`, `stopped` (to be started again), or `none` (it did not run). */
  readonly how: 'frozen' | 'stopped' | 'none';
  /**
   * Records a file the holder is writing (a partial archive) before it makes it, so that
   * it is removed if the holder is killed; `forget` it once it is complete or removed.
   */
  leave(path: string): Promise<void>;
  forget(path: string): Promise<void>;
}

export interface HoldOptions {
  mode: HoldMode;
  /** The holder's operation, for the lock and messages (`vzdump`). */
  op: string;
}

async function record(ve: Ve, change: (h: HoldRecord) => void): Promise<void> {
  const st = ve.state;
  if (!st?.hold) return;
  change(st.hold);
  await ve.saveState();
}

function heldView(ve: Ve, was: HeldVe['was'], how: HeldVe['how']): HeldVe {
  return {
    ve: ve.context(),
    configFile: ve.config.veFile.toString(),
    was,
    how,
    leave: (path) => record(ve, (h) => void (h.files = [...(h.files ?? []).filter((f) => f !== path), path])),
    forget: (path) => record(ve, (h) => void (h.files = (h.files ?? []).filter((f) => f !== path))),
  };
}

/**
 * Runs `fn` with the VE held still (see the file's comment); resolves with its result.
 * Call with the VE's lock held and its state reconciled.
 */
export async function holdVe<T>(ve: Ve, opts: HoldOptions, fn: (held: HeldVe) => Promise<T>): Promise<T> {
  const st = ve.state;
  if (st && st.phase !== 'running' && st.phase !== 'mounted') {
    throw vzError('LOCKED', `${ve.label} is in the middle of an operation (${st.phase})`, { about: ve.label });
  }
  const was: HeldVe['was'] = !st ? 'stopped' : st.phase === 'mounted' ? 'mounted' : 'running';
  if (was === 'mounted') return holdMounted(ve, opts, fn);
  if (was === 'stopped') return holdStopped(ve, opts, fn);
  return opts.mode === 'suspend' ? holdFrozen(ve, opts, fn) : holdStoppedRunning(ve, opts, fn);
}

/**
 * Runs `fn`, then `cleanup` whatever happened. A failure of the cleanup is thrown when
 * `fn` succeeded, and attached to `fn`'s failure (which is thrown) otherwise.
 */
async function withCleanup<T>(ve: Ve, fn: () => Promise<T>, cleanup: (f: Failures) => Promise<void>): Promise<T> {
  let result: T;
  try {
    result = await fn();
  } catch (e) {
    const f = new Failures(ve.label);
    await cleanup(f);
    if (isVzError(e)) e.cleanupErrors.push(...f.errors);
    throw e;
  }
  const f = new Failures(ve.label);
  await cleanup(f);
  f.throwIfAny();
  return result;
}

/** A VE the administrator mounted: nothing to do but record what `fn` leaves. */
async function holdMounted<T>(ve: Ve, opts: HoldOptions, fn: (held: HeldVe) => Promise<T>): Promise<T> {
  const st = ve.state!;
  st.hold = { op: opts.op };
  await ve.saveState();
  return withCleanup(ve, () => fn(heldView(ve, 'mounted', 'none')), async (f) => {
    await f.run(`remove what ${opts.op} left`, () => removeLeft(ve));
    delete st.hold;
    await ve.saveState();
  });
}

/** A stopped VE: mounted for `fn` (its files may live on a disk image), unmounted after. */
async function holdStopped<T>(ve: Ve, opts: HoldOptions, fn: (held: HeldVe) => Promise<T>): Promise<T> {
  ve.state = newState(ve.ctid, 'mounting', opts.op);
  ve.state.hold = { op: opts.op, mounted: true };
  await ve.saveState();
  return withCleanup(ve, async () => {
    await mountPlugins(ve, 'hold');
    ve.state!.phase = 'mounted';
    await ve.saveState();
    faultPoint('hold', 'mounted');
    return fn(heldView(ve, 'stopped', 'none'));
  }, async (f) => {
    await f.run(`remove what ${opts.op} left`, () => removeLeft(ve));
    await umountAll(ve, f);
    if (f.errors.length === 0) {
      await ve.store.remove();
      ve.state = undefined;
    }
  });
}

/** A running VE whose processes are frozen for `fn`, thawed after: it keeps running. */
async function holdFrozen<T>(ve: Ve, opts: HoldOptions, fn: (held: HeldVe) => Promise<T>): Promise<T> {
  const st = ve.state!;
  st.hold = { op: opts.op, frozen: true };
  await ve.saveState();
  try {
    await ve.core.host.cgroups.freeze(ve.cgroup);
  } catch (e) {
    await ve.core.host.cgroups.thaw(ve.cgroup).catch(() => undefined);
    delete st.hold;
    await ve.saveState();
    throw wrapError(e, `${ve.label}: freeze its processes`, { code: 'VE_FREEZE', exit: VE_FREEZE_EXIT, about: ve.label });
  }
  faultPoint('hold', 'frozen');
  const t0 = performance.now();
  return withCleanup(ve, () => fn(heldView(ve, 'running', 'frozen')), async (f) => {
    await f.run(`thaw its processes`, () => ve.core.host.cgroups.thaw(ve.cgroup));
    ve.core.log.debug(`${ve.label}: frozen for ${(performance.now() - t0).toFixed(1)} ms`);
    await f.run(`remove what ${opts.op} left`, () => removeLeft(ve));
    // A thaw that failed stays on record: the next operation tries again.
    if (f.errors.length === 0) {
      delete st.hold;
      await ve.saveState();
    }
  });
}

/** A running VE stopped for `fn` (its root stays mounted) and started again after, whatever `fn` did. */
async function holdStoppedRunning<T>(ve: Ve, opts: HoldOptions, fn: (held: HeldVe) => Promise<T>): Promise<T> {
  ve.state!.hold = { op: opts.op, stopped: true };
  await ve.saveState();
  try {
    await stopVe(ve, { skipUmount: true });
  } catch (e) {
    // Whatever the failed stop left is the next operation's to clean up, as after any stop.
    if (ve.state?.hold) {
      delete ve.state.hold;
      await ve.saveState();
    }
    throw e;
  }
  // A composition that mounts nothing leaves no state: the VE is simply stopped.
  if (ve.state?.hold) {
    ve.state.hold.mounted = true;
    await ve.saveState();
  }
  faultPoint('hold', 'stopped');
  return withCleanup(ve, () => fn(heldView(ve, 'running', 'stopped')), async (f) => {
    await f.run(`remove what ${opts.op} left`, () => removeLeft(ve));
    try {
      // It ran before the hold: DISABLED set meanwhile does not keep it down.
      await startVe(ve, { force: true });
    } catch (e) {
      f.errors.push(wrapError(e, `${ve.label} was stopped for ${opts.op} and did not start again`));
      // A failed start leaves it mounted, as the hold had it: unmounted now, it is simply stopped.
      await umountAll(ve, f);
      if (ve.state && ve.state.mounted.length === 0) {
        await ve.store.remove();
        ve.state = undefined;
      }
      return;
    }
    if (ve.state?.hold) {
      delete ve.state.hold;
      await ve.saveState();
    }
  });
}

/** Removes the files a holder left recorded (it failed, or died). */
async function removeLeft(ve: Ve): Promise<void> {
  const hold = ve.state?.hold;
  if (!hold?.files?.length) return;
  // Files the holder made on the host, through the Host: remove them the same way.
  for (const path of hold.files) if (await ve.core.host.fs.exists(path)) await ve.core.host.fs.remove(path);
  hold.files = [];
  await ve.saveState();
}

/**
 * Undoes a hold whose holder died (reconcile, under the VE's lock): thaws a frozen VE,
 * unmounts one mounted for it, removes the files it was writing. True when the VE's
 * state went with it.
 */
export async function undoHold(ve: Ve): Promise<boolean> {
  const st = ve.state;
  const hold = st?.hold;
  if (!st || !hold) return false;
  if (hold.frozen) await ve.core.host.cgroups.thaw(ve.cgroup);
  await removeLeft(ve);
  if (st.phase === 'mounted' && hold.mounted) {
    const f = new Failures(ve.label);
    await umountAll(ve, f);
    f.throwIfAny();
    await ve.store.remove();
    ve.state = undefined;
    if (hold.stopped) {
      ve.core.log.warn(`${ve.label} was stopped for ${hold.op}, which did not finish; start it again with 'vzctl start ${ve.ctid}'`);
    }
    return true;
  }
  delete st.hold;
  await ve.saveState();
  return false;
}
