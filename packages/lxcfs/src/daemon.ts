/**
 * One lxcfs per vzkit root, started when a VE needs it and stopped with the last VE
 * that used it (there is no vzkit daemon to keep it). It mounts its FUSE filesystem at
 * `<run>/lxcfs/mnt`; a process reading a file there sees the values of its own cgroups,
 * which is what makes the VE's /proc its own.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { dirname, join } from 'node:path';
import { reusedFor, turnLock, vzError, type Host, type LockTurn } from '@vzkit/core';
import { VIEWS } from './plan.js';

/** Where Debian and a hand-built lxcfs put the binary. */
const BINARIES = ['/usr/bin/lxcfs', '/usr/local/bin/lxcfs', '/bin/lxcfs'];
/** How long a fresh lxcfs may take to show its mount. */
const START_TIMEOUT_MS = 5000;
/**
 * How often the mount table is read while lxcfs starts: it mounts some 20 ms after its
 * spawn, so a coarse poll would add up to a whole interval to a VE's start.
 */
const START_POLL_MS = 5;
/** How long a start or stop waits for another vzctl working on the same instance. */
const LOCK_WAIT_MS = 10_000;

export interface Instance {
  dir: string;
  mnt: string;
  pidfile: string;
  log: string;
}

/** The instance of the vzkit root a VE's run directory belongs to. */
export function instanceFor(runDir: string): Instance {
  const dir = join(dirname(runDir), 'lxcfs');
  return { dir, mnt: join(dir, 'mnt'), pidfile: join(dir, 'lxcfs.pid'), log: join(dir, 'lxcfs.log') };
}

async function pidOf(host: Host, inst: Instance): Promise<number | undefined> {
  const text = await host.fs.readFile(inst.pidfile).catch(() => undefined);
  const pid = Number(text?.trim());
  return Number.isInteger(pid) && pid > 0 && (await host.processes.alive(pid)) ? pid : undefined;
}

/**
 * What is mounted on the instance's mount point: asked of the point itself, not of the
 * mount table, which every start would read whole (it grows with every running VE).
 * statfs tells FUSE by its magic (`fuse`); a FUSE mount whose server died answers
 * ENOTCONN, and is lxcfs's all the same.
 */
async function mounted(host: Host, inst: Instance): Promise<'lxcfs' | 'other' | undefined> {
  if (!(await host.mounts.isMountPoint(inst.mnt))) return undefined;
  const type = await host.fs.statfs(inst.mnt).then((s) => s.type, () => 'fuse');
  return type === 'fuse' || type.startsWith('fuse.') ? 'lxcfs' : 'other';
}

/**
 * How long a host found able to run lxcfs is taken to be so without looking again: the
 * starts of a bulk run (and of vzkitd) share one look, as ns-fs's host probe. A host
 * found unable is asked again each time, so an lxcfs installed meanwhile is used at once.
 */
const AVAILABLE_REUSE_MS = 5000;

const reusedAnswer = reusedFor<string | undefined>(AVAILABLE_REUSE_MS, (why) => why === undefined);

/** Why lxcfs cannot run here, or undefined when it can. */
export function unavailable(host: Host, now = Date.now()): Promise<string | undefined> {
  return reusedAnswer(host, '', async () => {
    if (!(await findBinary(host))) return 'lxcfs is not installed (apt-get install lxcfs)';
    if (!(await host.fs.exists('/dev/fuse'))) return 'the host has no /dev/fuse';
    return undefined;
  }, now);
}

async function findBinary(host: Host): Promise<string | undefined> {
  for (const b of BINARIES) if (await host.fs.exists(b)) return b;
  return undefined;
}

/**
 * Serializes what vzctl processes do to one instance (two VEs starting at once must not
 * start two lxcfs on one mount), in turns (core's TurnLock): the VEs one process starts
 * at once (a bulk start, vzkitd) take the lock together, and one look at the instance
 * serves the whole turn.
 */
function withLock<T>(host: Host, inst: Instance, fn: (turn: LockTurn) => Promise<T>): Promise<T> {
  return turnLock(host, `${inst.dir}.lck`, `lxcfs instance ${inst.dir}`, LOCK_WAIT_MS).run(fn);
}

/** Starts the instance unless this turn saw it running already; resolves with its pid. */
async function runningIn(turn: LockTurn, host: Host, inst: Instance): Promise<number> {
  const seen = turn.facts.get('running');
  if (typeof seen === 'number') return seen;
  const pid = await ensureRunning(host, inst);
  await host.fs.mkdir(join(inst.dir, 'users'), { recursive: true });
  turn.facts.set('running', pid);
  return pid;
}

const userFile = (inst: Instance, ctid: number) => join(inst.dir, 'users', String(ctid));

/**
 * vzkitd's upkeep: the instance of the root is started again when it died while VEs
 * use it, so that the VEs started next get working views. Those already running keep
 * binds to the dead mount until they restart (as with LXC); the warning names them.
 * Nothing happens without users, or while a vzctl holds the instance.
 */
export async function keepUp(host: Host, inst: Instance): Promise<string[] | undefined> {
  const users = await host.fs.readdir(join(inst.dir, 'users')).catch(() => [] as string[]);
  if (users.length === 0) return undefined;
  if ((await pidOf(host, inst)) !== undefined && (await mounted(host, inst)) === 'lxcfs') return undefined;
  if (await unavailable(host)) return undefined;
  await withLock(host, inst, (turn) => runningIn(turn, host, inst));
  return users;
}

/** Registers VE `ctid` as a user of the instance, starting it when needed; resolves with the instance's pid. */
export function acquire(host: Host, inst: Instance, ctid: number): Promise<number> {
  return withLock(host, inst, async (turn) => {
    const pid = await runningIn(turn, host, inst);
    await host.fs.writeRunFile(userFile(inst, ctid), '');
    return pid;
  });
}

interface Served {
  pid: number;
  startTime: number | undefined;
  views: Promise<ReadonlySet<string>>;
}

const served = new WeakMap<Host, Map<string, Served>>();

/**
 * Which of {@link VIEWS} the instance's lxcfs (process `pid`) has. They are fixed by its
 * version, so one look serves every VE started while that process runs: a bulk start
 * asked each file of each VE (a thread-pool round trip each, on the one event loop).
 * Keyed by pid and start time, so a restarted lxcfs (perhaps another version) is asked
 * again.
 */
export async function servedViews(host: Host, inst: Instance, pid: number): Promise<ReadonlySet<string>> {
  const startTime = await host.processes.startTime(pid);
  let byMnt = served.get(host);
  if (!byMnt) served.set(host, (byMnt = new Map()));
  const last = byMnt.get(inst.mnt);
  if (last && last.pid === pid && last.startTime === startTime && startTime !== undefined) return last.views;
  const views = Promise.all(VIEWS.map(async (v) => ((await host.fs.exists(join(inst.mnt, v))) ? v : undefined)))
    .then((found) => new Set(found.filter((v): v is (typeof VIEWS)[number] => v !== undefined)) as ReadonlySet<string>);
  const entry = { pid, startTime, views };
  byMnt.set(inst.mnt, entry);
  // A failed look (the instance died meanwhile: ENOTCONN) is not kept.
  views.catch(() => {
    if (byMnt.get(inst.mnt) === entry) byMnt.delete(inst.mnt);
  });
  return views;
}

/** Unregisters VE `ctid`; the last user takes the instance down (no vzkit daemon would). */
export function release(host: Host, inst: Instance, ctid: number): Promise<void> {
  return withLock(host, inst, async (turn) => {
    await host.fs.remove(userFile(inst, ctid)).catch(() => undefined);
    const users = await host.fs.readdir(join(inst.dir, 'users')).catch(() => [] as string[]);
    if (users.length === 0) {
      await stop(host, inst);
      turn.facts.delete('running');
    }
  });
}

/** Starts the instance unless it runs; resolves with its pid when its files can be read. */
export async function ensureRunning(host: Host, inst: Instance): Promise<number> {
  const pid = await pidOf(host, inst);
  const mount = await mounted(host, inst);
  if (pid !== undefined && mount === 'lxcfs') return pid;
  const bin = await findBinary(host);
  if (!bin) throw vzError('UNSUPPORTED', 'lxcfs is not installed');
  // A dead instance leaves a mount whose every read fails (ENOTCONN): take it away first.
  if (mount !== undefined) await host.mounts.umount(inst.mnt, { detach: true });
  if (pid !== undefined) await host.processes.signal(pid, 'SIGTERM');
  await host.fs.mkdir(inst.mnt, { recursive: true, mode: 0o755 });
  // -f: stay the process we started (and whose pid is in the pidfile); -l and --enable-cfs:
  // loadavg per cgroup, CPU counts from the cpuset and the CFS quota.
  const started = await host.processes.daemon([bin, '-f', '-l', '--enable-cfs', '-p', inst.pidfile, inst.mnt], { log: inst.log });
  const deadline = Date.now() + START_TIMEOUT_MS;
  while ((await mounted(host, inst)) !== 'lxcfs') {
    if (!(await host.processes.alive(started)) || Date.now() > deadline) {
      await host.processes.signal(started, 'SIGKILL');
      const why = (await host.fs.readFile(inst.log).catch(() => '')).trim().split('\n').pop();
      throw vzError('SYSTEM', `lxcfs did not mount ${inst.mnt}${why ? `: ${why}` : ''}`);
    }
    await sleep(START_POLL_MS);
  }
  await host.fs.writeFile(inst.pidfile, `${started}\n`);
  return started;
}

/**
 * Stops the instance and removes its mount and files. The mount goes first (no VE reads
 * it any more); then SIGKILL, because lxcfs takes some 6 s to notice SIGTERM or the
 * unmount (its load average thread sleeps) and keeps no state worth a clean exit.
 */
export async function stop(host: Host, inst: Instance): Promise<void> {
  const pid = await pidOf(host, inst);
  if ((await mounted(host, inst)) !== undefined) await host.mounts.umount(inst.mnt, { detach: true });
  if (pid !== undefined) {
    await host.processes.signal(pid, 'SIGKILL');
    await host.processes.waitExit(pid, 1000);
  }
  await host.fs.remove(inst.dir, { recursive: true }).catch(() => undefined);
}
