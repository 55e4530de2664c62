/**
 * `vzctl stop`: the plugins ask the guest to halt (ns-pid signals init the way its init
 * system expects) and wait; then the core kills whatever is left in the VE's cgroup,
 * runs `cleanup` in reverse order and unmounts. `--fast` kills at once.
 */
import { vzError } from '../errors.js';
import { faultPoint } from '../fault.js';
import type { StopOptions } from '../plugin.js';
import type { Ve } from './ve.js';
import { runHook, withHook } from './hooks.js';
import { Failures, teardown } from './teardown.js';

export const DEFAULT_STOP_TIMEOUT_MS = 120_000;

export async function stopVe(ve: Ve, opts: Partial<StopOptions> & { skipUmount?: boolean } = {}): Promise<void> {
  const st = ve.state;
  if (!st || st.phase === 'mounted') throw vzError('VE_NOT_RUNNING', `${ve.label} is not running`, { about: ve.label });
  const stopOpts: StopOptions = { fast: opts.fast ?? false, timeoutMs: opts.timeoutMs ?? DEFAULT_STOP_TIMEOUT_MS };
  st.phase = 'stopping';
  st.op = 'stop';
  await ve.saveState();
  ve.core.events.emit('ve:stopping', ve.ctid);
  faultPoint('stop', 'intent');
  const f = new Failures(ve.label);
  if (!stopOpts.fast) {
    // Reverse order: the plugins nearest the guest go first.
    for (const p of withHook(ve, 'stop').reverse()) {
      await f.run(`stop (${p.name})`, () => runHook(ve, p, 'stop', stopOpts));
    }
    faultPoint('stop', 'halt');
  }
  await teardown(ve, { umount: !opts.skipUmount }, f);
  f.throwIfAny();
  ve.core.events.emit('ve:stopped', ve.ctid);
}

export function requireRunning(ve: Ve): void {
  if (ve.state?.phase !== 'running') throw vzError('VE_NOT_RUNNING', `${ve.label} is not running`, { about: ve.label });
}
