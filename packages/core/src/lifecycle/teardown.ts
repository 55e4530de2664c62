/**
 * Undoing a VE's run, shared by stop, a failed start's rollback and crash recovery:
 * kill what is left in its cgroup, run `cleanup` of every plugin that began `prepare`
 * (reverse order), then optionally `umount`, then remove the cgroup. Every step runs even
 * if an earlier one failed; the first failure is reported with the others attached.
 */
import { isVzError, vzError, wrapError, type VzError } from '../errors.js';
import type { Plugin } from '../plugin.js';
import type { Ve } from './ve.js';
import { debugTimed, runHook } from './hooks.js';

/** The failures of an undo that goes on past them, for one VE. */
export class Failures {
  readonly errors: unknown[] = [];
  constructor(private readonly label: string) {}

  /** Runs one step; a failure is kept, named `<label>: <what>` unless it names the VE already. */
  async run(what: string, fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
    } catch (e) {
      this.errors.push(isVzError(e) && e.about === this.label ? e : wrapError(e, `${this.label}: ${what}`, { about: this.label }));
    }
  }
  /** Throws the first failure with the rest attached; `primary` (if any) goes first. */
  throwIfAny(primary?: unknown): void {
    const all = primary === undefined ? this.errors : [primary, ...this.errors];
    if (all.length === 0) return;
    const first = all[0];
    const err: VzError = first instanceof Error && 'code' in first ? (first as VzError) : wrapError(first, 'operation failed');
    err.cleanupErrors.push(...all.slice(1));
    throw err;
  }
}

function pluginsNamed(ve: Ve, names: string[]): Plugin<any, any>[] {
  return ve.core.registry.plugins.filter((p) => names.includes(p.name)).reverse();
}

/** Kills the VE's processes and waits for init to be gone. */
export async function killVe(ve: Ve, f: Failures): Promise<void> {
  const { host } = ve.core;
  const st = ve.state;
  await f.run('kill processes', async () => {
    if (await host.cgroups.exists(ve.cgroup)) await host.cgroups.kill(ve.cgroup);
  });
  if (st?.pid && (await host.processes.alive(st.pid, st.startTime))) {
    // Not in the cgroup (killed before attach): its own launcher would have killed it, but be sure.
    await host.processes.signal(st.pid, 'SIGKILL');
    if (!(await host.processes.waitExit(st.pid, 5000))) {
      f.errors.push(vzError('STOP_FAILED', `${ve.label}: init (pid ${st.pid}) did not exit after SIGKILL`, { about: ve.label }));
    }
  }
}

export async function teardown(ve: Ve, opts: { umount: boolean }, f = new Failures(ve.label)): Promise<Failures> {
  const st = ve.state;
  if (!st) return f;
  await debugTimed(ve, 'kill', () => killVe(ve, f));
  const unclean: string[] = [];
  for (const p of pluginsNamed(ve, st.prepared)) {
    if (!p.hooks.cleanup) continue;
    const before = f.errors.length;
    await f.run(`clean up ${p.name}`, () => runHook(ve, p, 'cleanup'));
    if (f.errors.length > before) unclean.push(p.name);
  }
  // A cleanup that failed stays on record: the next operation runs it again.
  st.prepared = st.prepared.filter((n) => unclean.includes(n));
  delete st.pid;
  delete st.startTime;
  delete st.namespaces;
  if (opts.umount) await umountAll(ve, f);
  await f.run(`remove cgroup ${ve.cgroup}`, () => debugTimed(ve, 'remove cgroup', () => ve.core.host.cgroups.destroy(ve.cgroup)));
  if (f.errors.length === 0) {
    if (opts.umount || st.mounted.length === 0) {
      await ve.store.remove();
      ve.state = undefined;
    } else {
      st.phase = 'mounted';
      await ve.saveState();
    }
  } else {
    // Keep the record of what is left, so that the next operation can try again.
    await ve.saveState();
  }
  ve.core.contexts.drop(ve.ctid);
  return f;
}

export async function umountAll(ve: Ve, f: Failures): Promise<void> {
  const st = ve.state;
  if (!st) return;
  for (const p of pluginsNamed(ve, st.mounted)) {
    if (!p.hooks.umount) continue;
    await f.run(`unmount (${p.name})`, () => runHook(ve, p, 'umount'));
  }
  if (f.errors.length === 0) st.mounted = [];
}
