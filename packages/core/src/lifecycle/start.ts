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
import type { Ve } from './core.js';
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
  if (ve.state && ve.state.phase !== 'mounted') throw vzError('VE_RUNNING', `${ve.label} is already running`);
  if (ve.config.get(DISABLED) && !opts.force) {
    throw vzError('START_DISABLED', `${ve.label} is disabled (DISABLED=yes)`, { hint: 'use --force to start it anyway' });
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
      await ve.saveState();
      await runHook(ve, p, 'prepare', plan);
      faultPoint('start', `prepare:${p.name}`);
    }
    // Plugins without prepare may still clean up what attach did.
    for (const p of withHook(ve, 'cleanup')) if (!st.prepared.includes(p.name)) st.prepared.push(p.name);
    const spec = plan.build();
    // A mapping without the namespace it maps would start the VE's root as the host's.
    const idmap = ve.context().idmap;
    if (idmap && !spec.namespaces.includes('user')) {
      throw vzError('UNSUPPORTED', `${ve.label}: its ids map to host ids from ${idmap.uid}, but no plugin of this runtime gives the VE a user namespace`, {
        hint: 'add the plugin that makes user namespaces (ns-user) to the composition',
      });
    }
    st.namespaces = spec.namespaces;
    if (plan.joinOps.length) st.joinOps = plan.joinOps;
    await ve.saveState();
    const { pid, startTime } = await debugTimed(ve, 'launch', () => core.host.launcher.start(spec, async (pid) => {
      st.pid = pid;
      st.startTime = await core.host.processes.startTime(pid);
      await ve.saveState();
      faultPoint('start', 'clone');
      await debugTimed(ve, 'attach init to its cgroup', () => core.host.cgroups.attach(ve.cgroup, pid));
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
