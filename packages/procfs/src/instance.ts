/**
 * The one vzprocfs server of a vzkit root: started by the first VE that uses it, stopped
 * with the last (no resident vzkit process is needed; vzkitd's upkeep restarts a dead
 * one while VEs use it). It mounts its FUSE filesystem at `<run>/vzprocfs/mnt`; the VEs
 * it serves are listed in `<run>/vzprocfs/users/<CTID>`, each with the cgroup lines of
 * its init, by which the server tells whose process reads.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { reusedFor, turnLock, vzError, type CgroupRef, type Host, type LockTurn } from '@vzkit/core';

/** The filesystem type the server mounts (`fuse.vzprocfs` in /proc/mounts). */
export const FS_NAME = 'vzprocfs';
/** How long a fresh server may take to mount: Node starts in some 0.2-0.5 s on an idle host. */
const START_TIMEOUT_MS = 15_000;
const START_POLL_MS = 10;
/** How long a start or stop waits for another vzctl working on the same instance. */
const LOCK_WAIT_MS = 20_000;

export interface Instance {
  dir: string;
  mnt: string;
  users: string;
  pidfile: string;
  log: string;
}

/** The instance of the vzkit root whose runtime directory (`/run/vzkit`) is `run`. */
export function instanceFor(run: string): Instance {
  const dir = join(run, FS_NAME);
  return { dir, mnt: join(dir, 'mnt'), users: join(dir, 'users'), pidfile: join(dir, `${FS_NAME}.pid`), log: join(dir, `${FS_NAME}.log`) };
}

/** What the server knows of a VE it serves. */
export interface UserEntry {
  /** The VE's cgroup, for its memory counters. */
  cgroup: CgroupRef;
  /** The lines of its init's /proc/PID/cgroup that name the VE's own group. */
  lines: string[];
}

const userFile = (inst: Instance, ctid: number) => join(inst.users, String(ctid));

async function pidOf(host: Host, inst: Instance): Promise<number | undefined> {
  const pid = Number((await host.fs.readFile(inst.pidfile).catch(() => '')).trim());
  return Number.isInteger(pid) && pid > 0 && (await host.processes.alive(pid)) ? pid : undefined;
}

/**
 * What is mounted on the instance's mount point: asked of the point itself, not of the
 * mount table, which every start would read whole (it grows with every running VE).
 * statfs tells FUSE only by its magic (`fuse`), and nothing but the server mounts FUSE
 * on this vzkit-owned path; a FUSE mount whose server died answers ENOTCONN, and is the
 * server's all the same.
 */
async function mounted(host: Host, inst: Instance): Promise<'ours' | 'other' | undefined> {
  if (!(await host.mounts.isMountPoint(inst.mnt))) return undefined;
  const type = await host.fs.statfs(inst.mnt).then((s) => s.type, () => 'fuse');
  return type === 'fuse' || type === `fuse.${FS_NAME}` ? 'ours' : 'other';
}

/**
 * How long /dev/fuse, once seen, is taken to be there: the starts of a bulk run (and of
 * vzkitd) share one look, as ns-fs's host probe; a host without it is asked each time.
 */
const FUSE_REUSE_MS = 5000;

const reusedFuse = reusedFor<boolean>(FUSE_REUSE_MS, (seen) => seen);

/** Why the server cannot run here, or undefined when it can. */
export async function unavailable(host: Host, server: readonly string[] | undefined, now = Date.now()): Promise<string | undefined> {
  if (!server || server.length === 0) return 'vzprocfs is not installed beside vzctl';
  if (!(await reusedFuse(host, '/dev/fuse', () => host.fs.exists('/dev/fuse'), now))) return 'the host has no /dev/fuse';
  return undefined;
}

/**
 * Serializes what vzctl processes do to one instance (two VEs starting at once must not
 * start two servers on one mount), in turns (core's TurnLock), as for lxcfs: the VEs one
 * process starts at once take the lock together, and one look at the server serves the
 * whole turn.
 */
function withLock<T>(host: Host, inst: Instance, fn: (turn: LockTurn) => Promise<T>): Promise<T> {
  return turnLock(host, `${inst.dir}.lck`, `vzprocfs instance ${inst.dir}`, LOCK_WAIT_MS).run(fn);
}

/** Starts the server unless this turn saw it running already. */
async function runningIn(turn: LockTurn, host: Host, inst: Instance, server: readonly string[]): Promise<void> {
  if (turn.facts.get('running') === true) return;
  await ensureRunning(host, inst, server);
  turn.facts.set('running', true);
}

/**
 * Starts the server unless it runs and has its mount; resolves when the mount is there.
 * A dead server's mount (every read ENOTCONN) is taken away first; VEs still bound to it
 * keep failing reads until they restart, as with lxcfs.
 */
export async function ensureRunning(host: Host, inst: Instance, server: readonly string[]): Promise<void> {
  const pid = await pidOf(host, inst);
  // The server that runs holds its mount: a mount point there is its (statfs would ask
  // the server itself, which a bulk start keeps busy with the other VEs' lookups).
  if (pid !== undefined && (await host.mounts.isMountPoint(inst.mnt))) return;
  const mount = await mounted(host, inst);
  if (mount !== undefined) await host.mounts.umount(inst.mnt, { detach: true });
  if (pid !== undefined) await host.processes.signal(pid, 'SIGKILL');
  // 0711: a VE's root (an unprivileged host uid) passes through to the files its binds
  // come from, but lists nothing; the files themselves say what each caller may read.
  await host.fs.mkdir(inst.mnt, { recursive: true, mode: 0o755 });
  await host.fs.chmod(inst.dir, 0o711);
  await host.fs.mkdir(inst.users, { recursive: true, mode: 0o700 });
  const started = await host.processes.daemon([...server], { log: inst.log });
  const deadline = Date.now() + START_TIMEOUT_MS;
  while ((await mounted(host, inst)) !== 'ours') {
    if (!(await host.processes.alive(started)) || Date.now() > deadline) {
      await host.processes.signal(started, 'SIGKILL');
      const why = (await host.fs.readFile(inst.log).catch(() => '')).trim().split('\n').pop();
      throw vzError('SYSTEM', `vzprocfs did not mount ${inst.mnt}${why ? `: ${why}` : ''}`);
    }
    await sleep(START_POLL_MS);
  }
  await host.fs.writeFile(inst.pidfile, `${started}\n`);
}

/** Registers VE `ctid` as a user of the instance, starting the server when needed. */
export function acquire(host: Host, inst: Instance, ctid: number, server: readonly string[]): Promise<void> {
  return withLock(host, inst, async (turn) => {
    await runningIn(turn, host, inst, server);
    await host.fs.writeRunFile(userFile(inst, ctid), '{}\n');
  });
}

/** Tells the server which cgroup VE `ctid`'s processes are in (once init is in it). */
export async function register(host: Host, inst: Instance, ctid: number, entry: UserEntry): Promise<void> {
  const tmp = `${userFile(inst, ctid)}.new`;
  await host.fs.writeRunFile(tmp, `${JSON.stringify(entry)}\n`);
  await host.fs.rename(tmp, userFile(inst, ctid));
}

/** Whether VE `ctid` is registered with the instance (from its start's prepare until its cleanup). */
export const registered = (host: Host, inst: Instance, ctid: number): Promise<boolean> => host.fs.exists(userFile(inst, ctid));

/** Whether VE `ctid` uses the running server: its files may be bound into it. */
export async function serving(host: Host, inst: Instance, ctid: number): Promise<boolean> {
  // Registered by acquire, which saw the server's mount there a moment ago.
  return (await host.fs.exists(userFile(inst, ctid))) && (await host.mounts.isMountPoint(inst.mnt));
}

/** The VEs the server serves, as the registry says. */
export async function users(host: Host, inst: Instance): Promise<Map<number, UserEntry>> {
  const out = new Map<number, UserEntry>();
  for (const name of await host.fs.readdir(inst.users).catch(() => [] as string[])) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const e = JSON.parse(await host.fs.readFile(join(inst.users, name))) as Partial<UserEntry>;
      if (typeof e.cgroup === 'string' && Array.isArray(e.lines)) out.set(Number(name), { cgroup: e.cgroup, lines: e.lines.filter((l) => typeof l === 'string') });
    } catch {
      // Gone meanwhile, or registered but not yet attached: it has no processes to serve.
    }
  }
  return out;
}

/** Unregisters VE `ctid`; the last user takes the server down. */
export function release(host: Host, inst: Instance, ctid: number): Promise<void> {
  return withLock(host, inst, async (turn) => {
    await host.fs.remove(userFile(inst, ctid)).catch(() => undefined);
    const left = (await host.fs.readdir(inst.users).catch(() => [] as string[])).filter((n) => /^\d+$/.test(n));
    if (left.length === 0) {
      await stop(host, inst);
      turn.facts.delete('running');
    }
  });
}

/**
 * Stops the server and removes its mount and files. The mount goes first; then SIGTERM
 * (the server unmounts and exits), SIGKILL after a second.
 */
export async function stop(host: Host, inst: Instance): Promise<void> {
  const pid = await pidOf(host, inst);
  if ((await mounted(host, inst)) !== undefined) await host.mounts.umount(inst.mnt, { detach: true });
  if (pid !== undefined) {
    await host.processes.signal(pid, 'SIGTERM');
    if (!(await host.processes.waitExit(pid, 1000))) {
      await host.processes.signal(pid, 'SIGKILL');
      await host.processes.waitExit(pid, 1000);
    }
  }
  await host.fs.remove(inst.dir, { recursive: true }).catch(() => undefined);
}

/**
 * vzkitd's upkeep: the server is started again when it died while VEs use it, so that
 * the VEs started next get working files. Returns the VEs whose binds point at the dead
 * mount (they get ENOTCONN until they restart); undefined when nothing was done.
 */
export async function keepUp(host: Host, inst: Instance, server: readonly string[] | undefined): Promise<number[] | undefined> {
  const using = (await host.fs.readdir(inst.users).catch(() => [] as string[])).filter((n) => /^\d+$/.test(n)).map(Number);
  if (using.length === 0 || !server) return undefined;
  if ((await pidOf(host, inst)) !== undefined && (await mounted(host, inst)) === 'ours') return undefined;
  if (await unavailable(host, server)) return undefined;
  await withLock(host, inst, (turn) => runningIn(turn, host, inst, server));
  return using;
}
