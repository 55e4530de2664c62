/**
 * The Launcher on the real kernel: drives the native launcher (native/) through its
 * handshake. All policy is here; the C side only carries out records.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ctLabel,
  vzError,
  type CgroupManager,
  type ChildOp,
  type ExecResult,
  type ExecSpec,
  type IdmappedBind,
  type InjectSpec,
  type LaunchResult,
  type LaunchSpec,
  type Launcher,
  type ProcessService,
  type VzError,
} from '@vzkit/core';
import { errnoMessage, errnoName } from '../errno.js';
import { signalName } from '../process.js';
import { LauncherChannel, type LauncherExit } from './channel.js';
import { findLauncher } from './find.js';
import { encodeJoinSpec, encodeRecords, encodeStartSpec, GO, idmapRecords, injectRecords, type JoinSpec, type Reply } from './protocol.js';

export interface NativeLauncherOptions {
  /** Path of vzlaunch; found with {@link findLauncher} on first use when omitted. */
  path?: string;
  processes: ProcessService;
  /** Needed for ExecSpec.cgroup. */
  cgroups?: CgroupManager;
}

type ErrReply = Extract<Reply, { kind: 'err' }>;

/** `mount /src on /dst`: an op as a person would name it. */
export function describeOp(op: ChildOp): string {
  switch (op.op) {
    case 'mount':
      return `mount ${op.source} on ${op.target}${op.fstype ? ` (${op.fstype})` : ''}`;
    case 'umount':
      return `umount ${op.target}`;
    case 'mkdir':
    case 'mknod':
    case 'write':
    case 'read':
    case 'chdir':
      return `${op.op} ${op.path}`;
    case 'symlink':
      return `symlink ${op.path} -> ${op.target}`;
    case 'pivotRoot':
      return `pivot_root ${op.root}`;
    case 'sethostname':
    case 'setdomainname':
      return `${op.op} ${op.name}`;
    case 'rlimit':
      return `rlimit ${op.resource}`;
    case 'capDrop':
      return `drop capabilities ${op.caps.join(',')}`;
    case 'seccomp':
      return `load the seccomp filter (${op.deny.length + (op.rules?.length ?? 0)} rules)`;
    case 'devnode':
      return op.source ? `bind device node ${op.source} on ${op.path}` : `make device node ${op.path} (${op.kind} ${op.major}:${op.minor})`;
    case 'landlock':
      return 'enter a Landlock domain';
    case 'linkUp':
      return `bring up ${op.name}`;
  }
}

function stepText(err: ErrReply, ops: readonly ChildOp[]): string {
  const op = err.index >= 0 ? ops[err.index] : undefined;
  if (op) return `op #${err.index} ${describeOp(op)}`;
  return err.detail ? `${err.step} ${err.detail}` : err.step;
}

/** A launcher ERR as a VzError: which op or step, and the errno. */
export function launcherError(code: 'ENV_CREATE' | 'EXEC_FAILED', context: string, err: ErrReply, ops: readonly ChildOp[] = []): VzError {
  const errno = errnoName(err.errno);
  return vzError(code, `${context}: ${stepText(err, ops)}: ${errno} (${errnoMessage(err.errno)})`, {
    errno,
    // The detail is the path the kernel refused when there is one, else a name or a note.
    ...(err.detail.startsWith('/') ? { path: err.detail } : {}),
  });
}

function crashed(context: string, ch: LauncherChannel, exit: LauncherExit | undefined, code: 'ENV_CREATE' | 'EXEC_FAILED' | 'MOUNT_FAILED'): VzError {
  const how = exit?.signal ? `was killed by ${exit.signal}` : exit?.code != null ? `exited with ${exit.code}` : 'ended';
  return vzError(code, `${context}: the launcher ${how} without a reply${ch.stderr ? `: ${ch.stderr.split('\n')[0]}` : ''}`);
}

/** Bounding-set capabilities of a process, from /proc/PID/status. */
async function boundingSet(pid: number | 'self'): Promise<bigint | undefined> {
  try {
    const m = (await readFile(`/proc/${pid}/status`, 'utf8')).match(/^CapBnd:\s*([0-9a-f]+)$/m);
    return m ? BigInt(`0x${m[1]}`) : undefined;
  } catch {
    return undefined;
  }
}

export class NativeLauncher implements Launcher {
  private binary: string | undefined;

  constructor(private readonly opts: NativeLauncherOptions) {
    this.binary = opts.path;
  }

  /** The launcher binary in use (resolved on first call). */
  path(): string {
    this.binary ??= findLauncher();
    return this.binary;
  }

  async start(spec: LaunchSpec, attach: (pid: number) => Promise<void>): Promise<LaunchResult> {
    const context = `${ctLabel(spec.ctid)}: start`;
    const tasks = await this.ownCgroupTasks(spec);
    const encoded = encodeStartSpec(spec, tasks ?? []); // a bad spec fails before any process exists
    const ch = await LauncherChannel.open(this.path(), 'start', ['ignore', 'ignore', 'pipe']);
    ch.send(encoded);

    const first = await ch.next();
    if (first?.kind !== 'pid') return this.failStart(ch, context, first, spec);
    const pid = first.pid;
    let startTime: number | undefined;

    try {
      startTime = await this.opts.processes.startTime(pid);
      // Where init cannot move itself cheaply, its pid is written as before.
      if (spec.cgroup !== undefined && tasks === undefined) await this.needCgroups().attach(spec.cgroup, pid);
      await attach(pid);
    } catch (e) {
      // The launcher kills init on EOF too; killing it here as well means it is gone
      // by the time we return, whatever the launcher is doing.
      await this.opts.processes.signal(pid, 'SIGKILL');
      ch.closeControl();
      await ch.exited;
      throw e;
    }

    ch.send(GO);
    ch.closeControl();
    const done = await ch.next();
    if (done?.kind === 'ok' && startTime !== undefined) {
      await ch.exited;
      return { pid, startTime };
    }
    if (startTime !== undefined && (await this.opts.processes.alive(pid, startTime))) await this.opts.processes.signal(pid, 'SIGKILL');
    if (done?.kind === 'ok') {
      await ch.exited;
      throw vzError('ENV_CREATE', `${context}: init (pid ${pid}) was gone before it was released`);
    }
    return this.failStart(ch, context, done, spec);
  }

  private async failStart(ch: LauncherChannel, context: string, reply: Reply | undefined, spec: LaunchSpec): Promise<never> {
    ch.closeControl();
    const exit = await ch.exited;
    if (reply?.kind === 'err') throw launcherError('ENV_CREATE', context, reply, spec.ops);
    if (reply === undefined) throw crashed(context, ch, exit, 'ENV_CREATE');
    throw vzError('ENV_CREATE', `${context}: unexpected launcher reply ${reply.kind}`);
  }

  async exec(spec: ExecSpec): Promise<ExecResult> {
    const context = `exec ${spec.argv[0] ?? ''} in the VE of pid ${spec.pid}`;
    const encoded = encodeJoinSpec(await this.joinSpec(spec));
    const piped = spec.stdio === 'pipe';
    const io = piped ? 'pipe' : 'inherit';
    const ch = await LauncherChannel.open(this.path(), 'exec', [io, io, io]);
    ch.send(encoded);
    ch.closeControl();

    const out = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
    if (piped && ch.child) {
      ch.child.stdout!.on('data', (b: Buffer) => out.stdout.push(b));
      ch.child.stderr!.on('data', (b: Buffer) => out.stderr.push(b));
      ch.child.stdin!.on('error', () => {}); // the command may exit without reading its input
      ch.child.stdin!.end(spec.input ?? '');
    }
    let timedOut = false;
    const timer = spec.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          // The command has PDEATHSIG=SIGKILL: it dies with the launcher.
          ch.child?.kill('SIGKILL');
        }, spec.timeoutMs)
      : undefined;

    try {
      const first = await ch.next();
      const last = first?.kind === 'started' ? await ch.next() : first;
      const exit = await ch.exited;
      if (timedOut) throw vzError('EXEC_TIMEOUT', `${context}: timed out after ${spec.timeoutMs} ms`);
      if (last?.kind === 'err') throw launcherError('EXEC_FAILED', context, last, spec.setup);
      if (first?.kind !== 'started') throw crashed(context, ch, exit, 'EXEC_FAILED');
      const code = last?.kind === 'exit' ? last.code : (exit.code ?? 128);
      const signal = last?.kind === 'exit' && last.signal ? signalName(last.signal) : undefined;
      return {
        code,
        ...(signal ? { signal } : {}),
        ...(piped ? { stdout: Buffer.concat(out.stdout).toString('utf8'), stderr: Buffer.concat(out.stderr).toString('utf8') } : {}),
      };
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  /** Mode `inject` (native/inject.c): ops in a running VE's mount namespace, bind sources from the host. */
  async inject(spec: InjectSpec): Promise<void> {
    const context = `change the mounts of the VE of pid ${spec.pid}`;
    const encoded = encodeRecords(injectRecords(spec));
    const ch = await LauncherChannel.open(this.path(), 'inject', ['ignore', 'ignore', 'pipe']);
    ch.send(encoded);
    ch.closeControl();
    const reply = await ch.next();
    const exit = await ch.exited;
    if (reply?.kind === 'ok') return;
    if (reply?.kind === 'err') throw launcherError('EXEC_FAILED', context, reply, spec.ops);
    throw crashed(context, ch, exit, 'EXEC_FAILED');
  }

  /**
   * Mode `idmap`: mounts an idmapped bind (native/userns.c). UNSUPPORTED where the kernel
   * (ENOSYS) or the source's filesystem (EINVAL) cannot idmap a mount.
   */
  async bindIdmapped(spec: IdmappedBind): Promise<void> {
    const context = `idmapped mount of ${spec.source} on ${spec.target}`;
    const encoded = encodeRecords(idmapRecords(spec));
    const ch = await LauncherChannel.open(this.path(), 'idmap', ['ignore', 'ignore', 'pipe']);
    ch.send(encoded);
    ch.closeControl();
    const reply = await ch.next();
    const exit = await ch.exited;
    if (reply?.kind === 'ok') return;
    if (reply?.kind !== 'err') throw crashed(context, ch, exit, 'MOUNT_FAILED');
    const errno = errnoName(reply.errno);
    const unsupported = ['ENOSYS', 'EINVAL', 'EOPNOTSUPP'].includes(errno) && ['open_tree', 'mount_setattr'].includes(reply.step);
    throw vzError(unsupported ? 'UNSUPPORTED' : 'MOUNT_FAILED', `${context}: ${reply.step}: ${errno} (${errnoMessage(reply.errno)})`, {
      errno,
      ...(reply.detail.startsWith('/') ? { path: reply.detail } : {}),
      ...(unsupported ? { hint: 'idmapped mounts need Linux 5.12+ and a filesystem that supports them (ext4, xfs, btrfs; tmpfs from 6.3)' } : {}),
    });
  }

  private needCgroups(): CgroupManager {
    if (!this.opts.cgroups) throw vzError('SYSTEM', 'launcher: no cgroup manager to place init in its cgroup');
    return this.opts.cgroups;
  }

  /**
   * The `tasks` files through which init moves itself into `spec.cgroup` (native/start.c),
   * or undefined when it does not: no group asked for, or cgroup v2, where a move of
   * oneself through cgroup.procs takes the same lock as a write of the pid.
   */
  private async ownCgroupTasks(spec: LaunchSpec): Promise<string[] | undefined> {
    if (spec.cgroup === undefined) return [];
    const cgroups = this.needCgroups();
    if (cgroups.version !== 1) return undefined;
    const dirs = Object.values(await cgroups.paths(spec.cgroup));
    return [...new Set(dirs)].map((d) => join(d, 'tasks'));
  }

  /**
   * ExecSpec resolved for the launcher: the files through which it joins the VE's groups
   * (on v1 `tasks`, which a thread moving itself writes without the kernel's global
   * threadgroup lock: some 10 ms less per exec; join.c), and the caps init lacks.
   */
  private async joinSpec(spec: ExecSpec): Promise<JoinSpec> {
    let cgroupProcs: string[] = [];
    if (spec.cgroup) {
      if (!this.opts.cgroups) throw vzError('SYSTEM', `exec: no cgroup manager to join ${spec.cgroup}`);
      const dirs = Object.values(await this.opts.cgroups.paths(spec.cgroup));
      const file = this.opts.cgroups.version === 1 ? 'tasks' : 'cgroup.procs';
      cgroupProcs = [...new Set(dirs)].map((d) => join(d, file));
    }
    const [ours, theirs] = await Promise.all([boundingSet('self'), boundingSet(spec.pid)]);
    const capDrop: number[] = [];
    if (ours !== undefined && theirs !== undefined) {
      for (let cap = 0; cap < 64; cap++) if ((ours >> BigInt(cap)) & 1n && !((theirs >> BigInt(cap)) & 1n)) capDrop.push(cap);
    }
    return {
      pid: spec.pid,
      namespaces: spec.namespaces,
      cgroupProcs,
      capDrop,
      setup: spec.setup ?? [],
      ops: spec.ops ?? [],
      argv: spec.argv,
      env: spec.env,
      ...(spec.cwd !== undefined ? { cwd: spec.cwd } : {}),
      tty: spec.tty ?? false,
    };
  }
}
