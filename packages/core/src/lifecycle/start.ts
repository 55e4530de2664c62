/**
 * `vzctl start`: lock → state intent → cgroup → mount → prepare (the plan) → launch
 * (attach between clone and exec) → started. Each step is recorded before it acts, and
 * a failure undoes the completed steps in reverse.
 */
import { join } from 'node:path';
import { DISABLED } from '../core-keys.js';
import { vzError } from '../errors.js';
import { faultPoint } from '../fault.js';
import { LaunchPlan } from '../plan.js';
import { newState } from '../state.js';
import type { Ve } from './ve.js';
import { debugTimed, runHook, validateAll, withHook } from './hooks.js';
import { mountPlugins } from './mount.js';
import { teardown } from './teardown.js';

/** Where init's stdout and stderr go, in the VE's run directory. */
export const CONSOLE_LOG = 'console.log';

export interface StartOptions {
  /** Start even when DISABLED=yes. */
  force?: boolean;
}

export async function startVe(ve: Ve, opts: StartOptions = {}): Promise<number> {
  const { core } = ve;
  if (ve.state && ve.state.phase !== 'mounted') throw vzError('VE_RUNNING', `${ve.label} is already running`, { about: ve.label });
  if (ve.config.get(DISABLED) && !opts.force) {
    throw vzError('START_DISABLED', `${ve.label} is disabled (DISABLED=yes)`, { about: ve.label, hint: 'use --force to start it anyway' });
  }
  await validateAll(ve);
  const wasMounted = ve.state?.phase === 'mounted';
  ve.state = ve.state ?? newState(ve.ctid, 'starting', 'start');
  const st = ve.state;
  st.phase = 'starting';
  st.op = 'start';
  st.cgroup = ve.cgroup;
  await ve.saveState();
  core.events.emit('ve:starting', ve.ctid);
  faultPoint('start', 'intent');
  try {
    await debugTimed(ve, 'create cgroup', () => core.host.cgroups.create(ve.cgroup));
    faultPoint('start', 'cgroup');
    await mountPlugins(ve, 'start');
    const plan = new LaunchPlan(ve.ctid);
    // The VE's cgroup is its root cgroup: it sees no group above its own, in /proc or in
    // a cgroup filesystem (with the release_agent of the hierarchy's root) mounted inside.
    plan.namespaces.add('cgroup');
    plan.console = join(ve.paths.runDir, CONSOLE_LOG);
    for (const p of withHook(ve, 'prepare')) {
      st.prepared.push(p.name);
      // The record tells crash recovery whose cleanup to run (teardown runs nothing else
      // for `prepared`): a plugin without cleanup has nothing there to undo, so its name
      // reaches the disk with the next write instead of a write of its own.
      if (p.hooks.cleanup) await ve.saveState();
      await runHook(ve, p, 'prepare', plan);
      faultPoint('start', `prepare:${p.name}`);
    }
    // Plugins without prepare may still clean up what attach did.
    for (const p of withHook(ve, 'cleanup')) if (!st.prepared.includes(p.name)) st.prepared.push(p.name);
    // The launcher places init in its group before attach: it can do that more cheaply
    // than a write of its pid from here (packages/linux/native/start.c).
    const spec = { ...plan.build(), cgroup: ve.cgroup };
    // A mapping without the namespace it maps would start the VE's root as the host's.
    const idmap = ve.context().idmap;
    if (idmap && !spec.namespaces.includes('user')) {
      throw vzError('UNSUPPORTED', `${ve.label}: its ids map to host ids from ${idmap.uid}, but no plugin of this runtime gives the VE a user namespace`, {
        about: ve.label,
        hint: 'add the plugin that makes user namespaces (ns-user) to the composition',
      });
    }
    // Written with init's pid, before anything acts on it: an exec needs them only once
    // init runs, and a crash before the pid is recorded leaves no init (the launcher
    // kills it when its spec pipe closes).
    st.namespaces = spec.namespaces;
    if (plan.joinOps.length) st.joinOps = plan.joinOps;
    const { pid, startTime } = await debugTimed(ve, 'launch', () => core.host.launcher.start(spec, async (pid) => {
      st.pid = pid;
      st.startTime = await core.host.processes.startTime(pid);
      await ve.saveState();
      faultPoint('start', 'clone');
      for (const p of withHook(ve, 'attach')) {
        await runHook(ve, p, 'attach', pid);
        faultPoint('start', `attach:${p.name}`);
      }
    }));
    st.pid = pid;
    st.startTime = startTime;
    st.phase = 'running';
    st.startedAt = new Date().toISOString();
    await ve.saveState();
    faultPoint('start', 'exec');
    for (const p of withHook(ve, 'started')) await runHook(ve, p, 'started');
    core.events.emit('ve:started', ve.ctid, pid);
    return pid;
  } catch (e) {
    const f = await teardown(ve, { umount: !wasMounted });
    f.throwIfAny(e);
    throw e;
  }
}
