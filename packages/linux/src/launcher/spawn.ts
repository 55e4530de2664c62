/**
 * The launcher's process, started with posix_spawn(3) rather than node:child_process.
 *
 * libuv starts a child with fork(): the kernel copies the page tables of the whole Node
 * process (100-200 MB mapped in vzctl or vzkitd), and the event loop waits until the
 * child has exec'd. That is 3-4 ms of the main thread per launcher here, three
 * launchers per start (idmap, start, lxcfs's first read), and the main thread is what a
 * bulk start of many VEs waits on. glibc's posix_spawn clones with CLONE_VM|CLONE_VFORK:
 * no copy, and the caller waits only for the exec (some 0.3 ms for the static launcher).
 *
 * What libuv does for a child and this does too: its stdio and control channels are
 * socketpairs (the launcher reads fd 3 and writes fd 4 as before), every signal is
 * reset to its default and unblocked in the child (Node ignores SIGPIPE), and the
 * environment is process.env. The exit status is reaped here with waitpid(WNOHANG) once
 * the child's channels are closed: libuv reaps only the pids it started itself.
 *
 * Only where koffi is loaded already (a start has mounted through it; vzkitd): loading
 * it costs some 10 ms, more than the fork saves in a vzctl that runs one launcher (exec),
 * so such a process spawns through node:child_process as before.
 */
import { spawn } from 'node:child_process';
import { closeSync } from 'node:fs';
import { Socket } from 'node:net';
import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import type { LibraryHandle } from 'koffi';
import { koffi, koffiLoaded } from '../koffi.js';
import { libcHandle } from '../syscalls.js';
import { errnoName } from '../errno.js';
import { aboveChildFds } from './child-fds.js';
import { sealedLauncher, type SealedLauncher } from './sealed-image.js';

export type StdioMode = 'ignore' | 'pipe' | 'inherit';

export interface SpawnExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A process started by {@link spawnLauncher}: what LauncherChannel uses of a ChildProcess. */
export interface SpawnedLauncher {
  readonly pid: number;
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  /** Its fd 3. */
  readonly control: Writable;
  /** Its fd 4. */
  readonly replies: Readable;
  /** Resolves once it has exited and all its channels are closed; never rejects. */
  readonly exited: Promise<SpawnExit>;
  kill(signal: NodeJS.Signals): void;
}

type CFunction = ReturnType<LibraryHandle['func']>;

interface Spawn {
  posixSpawn: CFunction;
  faInit: CFunction;
  faDestroy: CFunction;
  faDup2: CFunction;
  faOpen: CFunction;
  attrInit: CFunction;
  attrDestroy: CFunction;
  attrSetflags: CFunction;
  attrSetsigmask: CFunction;
  attrSetsigdefault: CFunction;
  socketpair: CFunction;
  waitpid: CFunction;
}

let fns: Spawn | undefined;

function lib(): Spawn {
  if (fns) return fns;
  const c = libcHandle();
  fns = {
    posixSpawn: c.func('int posix_spawn(_Out_ int *pid, const char *path, void *actions, void *attr, const char **argv, const char **envp)'),
    faInit: c.func('int posix_spawn_file_actions_init(void *actions)'),
    faDestroy: c.func('int posix_spawn_file_actions_destroy(void *actions)'),
    faDup2: c.func('int posix_spawn_file_actions_adddup2(void *actions, int fd, int newfd)'),
    faOpen: c.func('int posix_spawn_file_actions_addopen(void *actions, int fd, const char *path, int oflag, unsigned int mode)'),
    attrInit: c.func('int posix_spawnattr_init(void *attr)'),
    attrDestroy: c.func('int posix_spawnattr_destroy(void *attr)'),
    attrSetflags: c.func('int posix_spawnattr_setflags(void *attr, short flags)'),
    attrSetsigmask: c.func('int posix_spawnattr_setsigmask(void *attr, void *set)'),
    attrSetsigdefault: c.func('int posix_spawnattr_setsigdefault(void *attr, void *set)'),
    socketpair: c.func('int socketpair(int domain, int type, int protocol, void *sv)'),
    waitpid: c.func('int waitpid(int pid, void *status, int options)'),
  };
  return fns;
}

// glibc's types are opaque; these sizes are above theirs on every architecture (80 and
// 336 bytes on x86_64, sigset_t 128).
const ACTIONS_SIZE = 256;
const ATTR_SIZE = 1024;
const SIGSET_SIZE = 128;
const POSIX_SPAWN_SETSIGDEF = 0x04;
const POSIX_SPAWN_SETSIGMASK = 0x08;
const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = 0o2000000;
const O_RDWR = 2;
const WNOHANG = 1;
const ECHILD = 10;

const SIGNAL_NAMES = new Map<number, NodeJS.Signals>();
for (const [name, n] of Object.entries(constants.signals)) if (!SIGNAL_NAMES.has(n)) SIGNAL_NAMES.set(n, name as NodeJS.Signals);

function spawnError(binary: string, errno: number): Error {
  const name = errnoName(errno);
  return Object.assign(new Error(`spawn ${binary} ${name}`), { code: name, errno: -errno, syscall: 'posix_spawn', path: binary });
}

/** The sealed copy of `binary`, failing as posix_spawn of a missing or unreadable binary would. */
function copyOf(binary: string): SealedLauncher {
  try {
    return sealedLauncher(binary);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    throw Object.assign(new Error(`spawn ${binary} ${code}`), { code, syscall: 'posix_spawn', path: binary, cause: e });
  }
}

/** A connected pair of close-on-exec unix stream sockets: [ours, the child's]. */
function pair(): [number, number] {
  const sv = Buffer.alloc(8);
  if ((lib().socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) as number) < 0) {
    throw spawnError('launcher', koffi().errno());
  }
  return [sv.readInt32LE(0), sv.readInt32LE(4)];
}

/** The child's fds 0-4 are made from descriptors above them, so no dup2 undoes another. */
function aboveStdio(fd: number): number {
  const moved = aboveChildFds(fd);
  if (moved < 0) throw spawnError('launcher', -moved);
  return moved;
}

function environment(): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) out.push(`${k}=${v}`);
  return out;
}

/** Status of a reaped child as node:child_process reports it. */
function decodeStatus(status: number): SpawnExit {
  const sig = status & 0x7f;
  if (sig === 0) return { code: (status >> 8) & 0xff, signal: null };
  return { code: null, signal: SIGNAL_NAMES.get(sig) ?? null };
}

/** Reaps `pid` without blocking the event loop: it is about to exit once its channels closed. */
function reap(pid: number): Promise<SpawnExit> {
  const status = Buffer.alloc(4);
  return new Promise((resolve) => {
    let delay = 0;
    const attempt = () => {
      const rc = lib().waitpid(pid, status, WNOHANG) as number;
      if (rc === pid) return resolve(decodeStatus(status.readInt32LE(0)));
      if (rc < 0 && koffi().errno() === ECHILD) return resolve({ code: null, signal: null });
      // Still running (it closed its channels before exiting): look again, less often.
      delay = Math.min(50, delay * 2 + 1);
      setTimeout(attempt, delay);
    };
    attempt();
  });
}

function socketOf(fd: number, readable: boolean): Socket {
  return new Socket({ fd, readable, writable: !readable });
}

/** posix_spawn on a libuv worker thread: the caller's thread is the one a vfork stops. */
function posixSpawnAsync(pid: number[], binary: string, actions: Buffer, attr: Buffer, argv: Array<string | null>, envp: Array<string | null>): Promise<number> {
  return new Promise((resolve, reject) => {
    lib().posixSpawn.async(pid, binary, actions, attr, argv, envp, (err: unknown, rc: number) => (err ? reject(err) : resolve(rc)));
  });
}

/**
 * Starts `binary mode` with stdio as given (stdin, stdout, stderr), the spec channel on
 * its fd 3 and the reply channel on its fd 4, by posix_spawn where koffi is loaded (`how`
 * says otherwise in tests). Rejects (as child_process would emit 'error') when the binary
 * cannot be executed.
 */
export async function spawnLauncher(
  binary: string,
  mode: string,
  stdio: readonly [StdioMode, StdioMode, StdioMode],
  how: 'posix_spawn' | 'fork' = koffiLoaded() ? 'posix_spawn' : 'fork',
): Promise<SpawnedLauncher> {
  if (how === 'fork') return forkLauncher(binary, mode, stdio);
  const c = lib();
  const ours: number[] = [];
  const theirs: number[] = [];
  const actions = Buffer.alloc(ACTIONS_SIZE);
  const attr = Buffer.alloc(ATTR_SIZE);
  c.faInit(actions);
  c.attrInit(attr);
  try {
    const channel = (target: number): number => {
      const [mine, child] = pair();
      ours.push(mine);
      const source = aboveStdio(child);
      theirs.push(source);
      c.faDup2(actions, source, target);
      return mine;
    };
    const std: Array<number | undefined> = stdio.map((m, target) => {
      if (m === 'pipe') return channel(target);
      if (m === 'ignore') c.faOpen(actions, target, '/dev/null', O_RDWR, 0);
      // Ours as they are; dup2 onto itself clears close-on-exec (glibc 2.29+), as libuv does.
      else c.faDup2(actions, target, target);
      return undefined;
    });
    const control = channel(3);
    const replies = channel(4);

    c.attrSetflags(attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    c.attrSetsigmask(attr, Buffer.alloc(SIGSET_SIZE));
    c.attrSetsigdefault(attr, Buffer.alloc(SIGSET_SIZE, 0xff));
    const pid = [0];
    // The sealed copy (sealed-image.ts); argv[0] stays the binary's name for messages.
    const image = copyOf(binary);
    // Off the event loop: the calling thread waits until the child has exec'd, which
    // on a busy machine includes waiting for a CPU to run it on.
    const rc = await posixSpawnAsync(pid, image.path, actions, attr, [binary, mode, null], [...environment(), null]).finally(() => image.release());
    for (const fd of theirs.splice(0)) closeSync(fd);
    if (rc !== 0) throw spawnError(binary, rc);

    const stdin = std[0] === undefined ? null : socketOf(std[0], false);
    const stdout = std[1] === undefined ? null : socketOf(std[1], true);
    const stderr = std[2] === undefined ? null : socketOf(std[2], true);
    const controlSocket = socketOf(control, false);
    const repliesSocket = socketOf(replies, true);
    ours.length = 0;
    // As child_process's 'close': the exit, and every channel it could still write to closed.
    const closed = (s: Socket | null) => (s === null ? Promise.resolve() : new Promise<void>((r) => s.once('close', () => r())));
    const exited = Promise.all([closed(repliesSocket), closed(stdout), closed(stderr)]).then(async () => {
      const exit = await reap(pid[0]!);
      // Nobody can read what is still written to a process that is gone.
      controlSocket.destroy();
      stdin?.destroy();
      return exit;
    });
    const kill = (signal: NodeJS.Signals) => {
      try {
        // Not reaped before `exited` resolves, so the pid is still this child's.
        process.kill(pid[0]!, signal);
      } catch {
        // Exited meanwhile.
      }
    };
    return { pid: pid[0]!, stdin, stdout, stderr, control: controlSocket, replies: repliesSocket, exited, kill };
  } finally {
    for (const fd of [...theirs, ...ours]) closeSync(fd);
    c.faDestroy(actions);
    c.attrDestroy(attr);
  }
}

/** {@link spawnLauncher} through node:child_process (libuv's fork and exec). */
function forkLauncher(binary: string, mode: string, stdio: readonly [StdioMode, StdioMode, StdioMode]): Promise<SpawnedLauncher> {
  const child = spawn(binary, [mode], { stdio: [...stdio, 'pipe', 'pipe'] });
  const exited = new Promise<SpawnExit>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('spawn', () => {
      child.off('error', reject);
      // A failed kill of a process that is gone: its exit says what happened.
      child.on('error', () => {});
      resolve({
        pid: child.pid!,
        stdin: child.stdin,
        stdout: child.stdout,
        stderr: child.stderr,
        control: child.stdio[3] as Writable,
        replies: child.stdio[4] as Readable,
        exited,
        kill: (signal) => void child.kill(signal),
      });
    });
  });
}
