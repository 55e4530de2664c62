/**
 * Putting a UbcPlan into effect: at start through the launch plan, on a running VE
 * through the host (cgroup files, prlimit on every process) and, for what lives in the
 * VE's own namespaces (IPC sysctls, devpts, /dev/shm), from inside the VE.
 */
import { vzError, type ChildOp, type HookContext, type LaunchPlan } from '@vzkit/core';
import type { UbcPlan } from './mapping.js';

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

/** mount(8)'s names of the flags a remount op carries. */
const FLAG_OPTIONS: Partial<Record<string, string>> = { nosuid: 'nosuid', nodev: 'nodev', noexec: 'noexec', rdonly: 'ro' };

/**
 * The same changes on a running VE, as one shell line run inside it. A remount names
 * source and target, so that mount(8) (busybox's or util-linux's) passes exactly these
 * options rather than merging in the ones /proc/mounts shows: tmpfs and devpts show
 * their uid= and gid= as host ids, which a user-namespaced VE's kernel calls refuse
 * (EINVAL); and it names the mount's flags, which a remount otherwise clears.
 */
export function insideScript(ops: readonly ChildOp[]): string {
  return ops.map((o) => {
    if (o.op === 'write') return `echo ${o.data} > ${o.path}`;
    if (o.op === 'mount') {
      const flags = o.flags.flatMap((f) => FLAG_OPTIONS[f] ?? []);
      return `mount -o ${['remount', ...flags, ...(o.data ? [o.data] : [])].join(',')} ${o.source} ${o.target}`;
    }
    throw new Error(`no shell form for ${o.op}`);
  }).join(' && ');
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
    const script = insideScript(inside);
    const r = await ctx.exec({ argv: ['/bin/sh', '-c', script], stdio: 'pipe', timeoutMs: 30_000 });
    if (r.code !== 0) {
      const why = (r.stderr ?? '').trim().split('\n').pop() || `exit status ${r.code}`;
      throw vzError('UBC_SET_FAILED', `${ve.label}: '${script}' inside the VE failed: ${why}`, { exit: 1 });
    }
  }
}
