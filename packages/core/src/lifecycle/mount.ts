/** `vzctl mount` / `umount`, and the mount step of start: the VE's root on the host. */
import { vzError } from '../errors.js';
import { faultPoint } from '../fault.js';
import { newState } from '../state.js';
import type { Ve } from './core.js';
import { runHook, withHook } from './hooks.js';
import { Failures, umountAll } from './teardown.js';

/** Runs `mount` of every plugin not yet mounted, recording each before it acts. */
export async function mountPlugins(ve: Ve, op: string): Promise<void> {
  const st = ve.state!;
  // Before any plugin makes a directory there (a disk's mount point, a layer). A
  // composition that mounts nothing (vzunshare's) has no private area to look for.
  if (st.mounted.length === 0 && withHook(ve, 'mount').length > 0) await checkPrivateArea(ve);
  for (const p of withHook(ve, 'mount')) {
    if (st.mounted.includes(p.name)) continue;
    st.mounted.push(p.name);
    await ve.saveState();
    await runHook(ve, p, 'mount');
    faultPoint(op, `mount:${p.name}`);
  }
}

export async function mountVe(ve: Ve): Promise<void> {
  if (ve.state?.phase === 'mounted') throw vzError('MOUNTED', `${ve.label} is already mounted`);
  if (ve.state) throw vzError('VE_RUNNING', `${ve.label} is running`);
  ve.state = newState(ve.ctid, 'mounting', 'mount');
  await ve.saveState();
  try {
    await mountPlugins(ve, 'mount');
  } catch (e) {
    const f = new Failures();
    await umountAll(ve, f);
    if (f.errors.length === 0) {
      await ve.store.remove();
      ve.state = undefined;
    }
    f.throwIfAny(e);
  }
  ve.state!.phase = 'mounted';
  await ve.saveState();
  ve.core.events.emit('ve:mounted', ve.ctid);
}

export async function umountVe(ve: Ve): Promise<void> {
  const st = ve.state;
  if (!st) throw vzError('NOT_MOUNTED', `${ve.label} is not mounted`);
  if (st.phase !== 'mounted') throw vzError('VE_RUNNING', `${ve.label} is running: stop it first`);
  const f = new Failures();
  await umountAll(ve, f);
  f.throwIfAny();
  await ve.store.remove();
  ve.state = undefined;
  ve.core.events.emit('ve:unmounted', ve.ctid);
}

export { runHook };

/** vzctl's "private area does not exist": a VE whose VE_PRIVATE is gone or was moved. */
async function checkPrivateArea(ve: Ve): Promise<void> {
  const priv = ve.paths.private;
  const st = await ve.core.host.fs.stat(priv);
  // A symlink to the real place (another disk) is an administrator's choice.
  if (st?.type === 'dir' || (st?.type === 'symlink' && (await ve.core.host.fs.exists(priv)))) return;
  throw vzError('PRIVATE_NOT_FOUND', `${ve.label}: private area ${priv} ${st ? 'is not a directory' : 'does not exist'}`, {
    path: priv, hint: 'restore it, or set VE_PRIVATE in the VE\'s config to where it is',
  });
}
