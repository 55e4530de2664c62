/**
 * Putting a UbcPlan into effect: at start through the launch plan, on a running VE
 * through the host (cgroup files, prlimit on every process) and, for what lives in the
 * VE's own namespaces (IPC sysctls, devpts, /dev/shm), by the launcher inside the VE.
 */
import type { ChildOp, HookContext, LaunchPlan } from '@vzkit/core';
import type { UbcPlan } from './plan.js';
import { ubcError } from './errors.js';

/**
 * Which of the VE's own mounts and namespaces ubc may adjust (known once every plugin
 * prepared). A remount resets the options it does not name, so the options the mount
 * was made with are kept and given again.
 */
export interface Reach {
  /** Options of the VE's private devpts, when it has one. */
  devpts?: string;
  /** Options of the VE's /dev/shm tmpfs, when it has one. */
  devshm?: string;
  ipc: boolean;
}

/** Mount options without the ones a remount must not repeat or that ubc sets itself. */
function keptOptions(data: string | undefined, drop: string[]): string {
  return (data ?? '').split(',').filter((o) => o !== '' && !drop.some((d) => o === d || o.startsWith(`${d}=`))).join(',');
}

/** What the other plugins built: only a private devpts and /dev/shm of the VE's own are resized. */
export function reachOf(plan: LaunchPlan): Reach {
  const ownMounts = plan.namespaces.has('mnt') && plan.ops('pivot').length > 0;
  const mounted = (fstype: string, suffix: string) => {
    if (!ownMounts) return undefined;
    const op = plan.ops('rootfs').find((o) => o.op === 'mount' && o.fstype === fstype && o.target.endsWith(suffix));
    return op?.op === 'mount' ? (op.data ?? '') : undefined;
  };
  const devpts = mounted('devpts', '/dev/pts');
  const devshm = mounted('tmpfs', '/dev/shm');
  return {
    ...(devpts !== undefined ? { devpts: keptOptions(devpts, ['newinstance', 'max']) } : {}),
    ...(devshm !== undefined ? { devshm: keptOptions(devshm, ['size']) } : {}),
    ipc: plan.namespaces.has('ipc'),
  };
}

/** Child ops that give the VE its IPC limits and mount sizes, after the pivot (the VE's own paths). */
export function insideOps(up: UbcPlan, reach: Reach, want: { shm: boolean; pty: boolean }): ChildOp[] {
  const ops: ChildOp[] = [];
  if (want.shm && reach.ipc) {
    ops.push({ op: 'write', path: '/proc/sys/kernel/shmall', data: up.shmall });
    ops.push({ op: 'write', path: '/proc/sys/kernel/shmmax', data: up.shmmax });
  }
  const opts = (kept: string, own: string) => (kept ? `${kept},${own}` : own);
  if (want.shm && reach.devshm !== undefined) {
    ops.push({ op: 'mount', source: 'tmpfs', target: '/dev/shm', fstype: 'tmpfs', flags: ['remount', 'nosuid', 'nodev'], data: opts(reach.devshm, `size=${up.devShmSize}`) });
  }
  if (want.pty && reach.devpts !== undefined) {
    ops.push({ op: 'mount', source: 'devpts', target: '/dev/pts', fstype: 'devpts', flags: ['remount', 'nosuid', 'noexec'], data: opts(reach.devpts, `max=${up.ptyMax}`) });
  }
  return ops;
}

function describe(op: ChildOp): string {
  return op.op === 'mount' ? `the mount of ${op.target}` : op.op === 'write' ? op.path : op.op;
}

/** Limits of a running VE, at once: cgroup files, then rlimits of every process in it, then its namespaces. */
export async function applyLive(ctx: HookContext, up: UbcPlan, inside: readonly ChildOp[]): Promise<void> {
  const { host, ve } = ctx;
  await host.cgroups.set(ve.cgroup, up.cgroup);
  if (up.rlimits.length) {
    for (const pid of await host.cgroups.pids(ve.cgroup)) {
      for (const r of up.rlimits) await host.processes.setRlimit(pid, r.resource, r.soft, r.hard);
    }
  }
  if (inside.length) {
    // The launcher makes them itself, inside the VE: a VE of the host root may not remount
    // (@vzkit/landlock), and no program of the VE should run with the rights to. The
    // command is only what a join needs to have.
    const why = await ctx.exec({ argv: ['/bin/sh', '-c', 'true'], setup: [...inside], stdio: 'pipe', timeoutMs: 30_000 }).then(
      (r) => (r.code === 0 ? undefined : `exit status ${r.code}`),
      (e: unknown) => (e instanceof Error ? e.message.replace(/^[^:]*: /, '') : String(e)),
    );
    if (why !== undefined) {
      throw ubcError('UBC_SET_FAILED', `${ve.label}: changing ${inside.map(describe).join(', ')} inside the VE failed: ${why}`, { about: ve.label });
    }
  }
}
