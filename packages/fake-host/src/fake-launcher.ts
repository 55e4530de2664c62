/**
 * The fake native launcher. `start` clones the VE's init with new namespaces, runs
 * `attach` with its pid, then carries out the child ops in order in the child's own
 * namespaces and "execs" init, which must exist and be executable in the child's root.
 * A failing step kills the child and rejects with ENV_CREATE naming the op, as the real
 * launcher does. `exec` joins a running VE's namespaces (and cgroup) and runs a command
 * from the fake's command table.
 */
import { ctLabel, vzError, type ChildOp, type ExecResult, type ExecSpec, type InjectSpec, type LaunchResult, type LaunchSpec, type Launcher, type Namespace } from '@vzkit/core';
import type { CommandOutput, FakeCommands } from './fake-commands.js';
import { describeErrno, errnoOf, fault, kernelError, KernelFault, type Errno } from './fake-errors.js';
import { FakeFs } from './fake-fs.js';
import type { FakeKernel } from './fake-kernel.js';
import { mountIn, pivotRootIn, umountIn } from './fake-mounts.js';
import type { FakeProcess, NsSet } from './fake-process.js';
import { encoder, normalizePath, parentOf } from './fake-vnode.js';

/** The path an op works on, for messages and `failNext(..., { path })`. */
function opPath(op: ChildOp): string {
  switch (op.op) {
    case 'mount': case 'umount': return op.target;
    case 'mkdir': case 'mknod': case 'symlink': case 'write': case 'read': case 'chdir': case 'devnode': return op.path;
    case 'pivotRoot': return op.root;
    case 'sethostname': case 'setdomainname': return op.name;
    case 'rlimit': return op.resource;
    case 'capDrop': return op.caps.join(',');
    case 'seccomp': return [...op.deny, ...(op.rules ?? []).map((r) => `${r.call}:${r.errno}`)].join(',');
    case 'landlock': return '/';
    case 'linkUp': return op.name;
  }
}

/** A device node unless something is at the path: mknod, or (with a source) a bind of the host's node onto an empty file. */
function devnode(k: FakeKernel, child: FakeProcess, op: Extract<ChildOp, { op: 'devnode' }>, sourceFrom: FakeProcess): void {
  const fs = new FakeFs(k, child.pid);
  if (fs.statSync(op.path)) return;
  fs.mkdirSync(parentOf(normalizePath(op.path, child.cwd)), { recursive: true, mode: 0o755 });
  if (op.source === undefined) {
    if (child.ns.user !== k.hostNs.user) throw fault('EPERM', op.path);
    fs.mknodSync(op.path, op.kind, op.major, op.minor, op.mode);
    return fs.chmodSync(op.path, op.mode);
  }
  fs.writeSync(op.path, '', { exclusive: true, mode: 0o600 });
  try {
    mountIn(k, child, { source: op.source, target: op.path, flags: ['bind'] }, sourceFrom);
  } catch (e) {
    fs.removeSync(op.path);
    throw e;
  }
}

/** One child op, as the child process; binds take their source as `sourceFrom` sees it (default: the child). */
export function runChildOp(k: FakeKernel, child: FakeProcess, op: ChildOp, sourceFrom: FakeProcess = child): void {
  k.faults.check(`op:${op.op}`, opPath(op));
  const fs = new FakeFs(k, child.pid);
  switch (op.op) {
    case 'devnode':
      return devnode(k, child, op, sourceFrom);
    case 'mount':
      return mountIn(k, child, { source: op.source, target: op.target, fstype: op.fstype, flags: op.flags, ...(op.data !== undefined ? { data: op.data } : {}) }, sourceFrom);
    case 'umount':
      return umountIn(k, child, op.target, { detach: op.detach });
    case 'mkdir':
      return fs.mkdirSync(op.path, { mode: op.mode });
    case 'mknod':
      // Device nodes need CAP_MKNOD in the host's user namespace, whatever a VE's root has.
      if (child.ns.user !== k.hostNs.user) throw fault('EPERM', op.path);
      return fs.mknodSync(op.path, op.kind, op.major, op.minor, op.mode);
    case 'symlink':
      return fs.symlinkSync(op.target, op.path);
    case 'write':
      return fs.writeSync(op.path, op.data);
    case 'read':
      fs.readSync(op.path);
      return;
    case 'linkUp': {
      const link = child.ns.net.links.get(op.name);
      if (!link) throw fault('ENODEV', op.name);
      return child.ns.net.setUp(link, true);
    }
    case 'pivotRoot':
      return pivotRootIn(k, child, op.root);
    case 'chdir': {
      const w = child.ns.mnt.walk(normalizePath(op.path, child.cwd), child);
      if (w.node.type !== 'dir') throw fault('ENOTDIR', op.path);
      child.cwd = w.path;
      return;
    }
    case 'sethostname':
    case 'setdomainname':
      if (encoder.encode(op.name).length > 64) throw fault('EINVAL');
      child.ns.uts[op.op === 'sethostname' ? 'hostname' : 'domainname'] = op.name;
      return;
    case 'rlimit':
      return child.setRlimit(op.resource, op.soft, op.hard);
    case 'capDrop':
      return child.dropCaps(op.caps);
    case 'seccomp':
      return child.loadSeccomp(op.deny, op.rules);
    case 'landlock':
      return child.enterLandlock(k.opts.landlockAbi, () => k.nextLandlockDomain());
  }
}

/** execve of init in the child's root: ENOENT when missing, EACCES when not an executable file. */
function execInit(k: FakeKernel, child: FakeProcess, spec: LaunchSpec): void {
  const argv0 = spec.init.argv[0];
  if (!argv0) throw fault('EINVAL');
  k.faults.check('init', argv0);
  const ns = child.ns.mnt;
  const cwd = ns.walk(normalizePath(spec.init.cwd || '/', child.cwd), child);
  if (cwd.node.type !== 'dir') throw fault('ENOTDIR', spec.init.cwd);
  const bin = ns.walk(normalizePath(argv0, cwd.path), child).node;
  if (bin.type !== 'file' || (bin.meta().mode & 0o111) === 0) throw fault('EACCES', argv0);
  child.cwd = cwd.path;
  child.argv = [...spec.init.argv];
  child.env = [...spec.init.env];
}

export class FakeLauncher implements Launcher {
  constructor(private readonly k: FakeKernel, private readonly commands: FakeCommands) {}

  async start(spec: LaunchSpec, attach: (pid: number) => Promise<void>): Promise<LaunchResult> {
    const label = ctLabel(spec.ctid);
    const fail = (step: string, e: unknown, path?: string) => {
      const errno = (errnoOf(e) ?? 'EIO') as Errno;
      return vzError('ENV_CREATE', `${label}: ${step}: ${errno} (${describeErrno(errno)})`, { about: label, errno, ...(path ? { path } : {}), cause: e });
    };
    let child: FakeProcess;
    try {
      this.k.faults.check('launch', String(spec.ctid));
      if ((spec.uidMap || spec.gidMap) && !spec.namespaces.includes('user')) throw fault('EPERM');
      if (spec.namespaces.includes('user') && this.k.opts.maxUserNamespaces === 0) throw fault('ENOSPC');
      child = this.k.processes.fork(this.k.self, { newNs: spec.namespaces, argv: ['vzkit-launch', 'start', String(spec.ctid)] });
    } catch (e) {
      throw fail('clone', e);
    }
    if (spec.namespaces.includes('user')) {
      child.ns.user.uidMap = spec.uidMap?.map((m) => ({ ...m }));
      child.ns.user.gidMap = spec.gidMap?.map((m) => ({ ...m }));
    }
    child.console = spec.console;
    if (spec.cgroup !== undefined) {
      try {
        await this.k.cgroups.attach(spec.cgroup, child.pid);
      } catch (e) {
        this.k.processes.die(child, { signal: 'SIGKILL' });
        throw fail(`cgroup ${spec.cgroup}`, e);
      }
    }
    try {
      await attach(child.pid);
    } catch (e) {
      this.k.processes.die(child, { signal: 'SIGKILL' });
      throw e;
    }
    if (!child.alive) throw fail('handshake', fault('ESRCH'));
    for (const [i, op] of spec.ops.entries()) {
      try {
        runChildOp(this.k, child, op);
      } catch (e) {
        this.k.processes.die(child, { signal: 'SIGKILL' });
        const path = e instanceof KernelFault ? (e.path ?? opPath(op)) : ((e as NodeJS.ErrnoException).path ?? opPath(op));
        throw fail(`child op #${i} ${op.op} ${opPath(op)}`, e, path);
      }
    }
    try {
      execInit(this.k, child, spec);
    } catch (e) {
      this.k.processes.die(child, { signal: 'SIGKILL' });
      throw fail(`exec ${spec.init.argv.join(' ')}`, e, spec.init.argv[0]);
    }
    // The launcher exits after exec: init is reparented to the host's init.
    child.ppid = 1;
    return { pid: child.pid, startTime: child.startTime };
  }

  /**
   * As the launcher's inject mode: joins the VE's user and mount namespaces (the caller's
   * when they are the same) as its root and runs the ops there, bind sources taken from
   * the host. Only devnode, bind mounts, umount and mkdir.
   */
  async inject(spec: InjectSpec): Promise<void> {
    const k = this.k;
    const context = `change the mounts of the VE of pid ${spec.pid}`;
    const target = k.processes.get(spec.pid);
    let proc: FakeProcess;
    try {
      k.faults.check('exec', String(spec.pid));
      if (!target?.alive) throw fault('ESRCH');
      if (!spec.namespaces.includes('mnt')) throw fault('EINVAL');
      const join: Partial<NsSet> = {};
      for (const t of spec.namespaces) if (t === 'user' || t === 'mnt') (join as Record<Namespace, unknown>)[t] = target.ns[t];
      proc = k.processes.fork(k.self, { join, argv: ['vzkit-launch', 'inject'] });
    } catch (e) {
      const errno = (errnoOf(e) ?? 'EIO') as Errno;
      throw kernelError('EXEC_FAILED', `${context}: setns`, errno);
    }
    try {
      for (const [i, op] of spec.ops.entries()) {
        const ok = op.op === 'devnode' || op.op === 'umount' || op.op === 'mkdir' || (op.op === 'mount' && op.flags.includes('bind'));
        try {
          if (!ok) throw fault('EINVAL');
          runChildOp(k, proc, op, k.self);
        } catch (e) {
          const errno = (errnoOf(e) ?? 'EIO') as Errno;
          throw kernelError('EXEC_FAILED', `${context}: op #${i} ${op.op} ${opPath(op)}`, errno, opPath(op));
        }
      }
    } finally {
      k.processes.die(proc, { code: 0 });
    }
  }

  async exec(spec: ExecSpec): Promise<ExecResult> {
    const k = this.k;
    const failed = (what: string, e: unknown) => {
      const errno = (errnoOf(e) ?? 'EIO') as Errno;
      return kernelError('EXEC_FAILED', `exec ${spec.argv.join(' ')} in pid ${spec.pid}: ${what}`, errno);
    };
    const target = k.processes.get(spec.pid);
    let proc: FakeProcess;
    try {
      k.faults.check('exec', String(spec.pid));
      if (!target?.alive) throw fault('ESRCH');
      const join: Partial<NsSet> = {};
      for (const t of spec.namespaces) (join as Record<Namespace, unknown>)[t] = target.ns[t];
      const group = spec.cgroup === undefined ? undefined : k.cgroups.resolve(spec.cgroup);
      if (group !== undefined && !(await k.cgroups.exists(group))) throw fault('ENOENT', spec.cgroup);
      proc = k.processes.fork(k.self, { join, argv: [...spec.argv], ...(group !== undefined ? { cgroup: group } : {}) });
    } catch (e) {
      throw failed('setns/fork', e);
    }
    proc.env = [...spec.env];
    // As the real launcher: its own setup inside the VE, the caps init lacks, then the VE's join ops.
    try {
      for (const op of spec.setup ?? []) {
        if (op.op !== 'mount' && op.op !== 'write') throw fault('EINVAL');
        runChildOp(k, proc, op);
      }
      proc.dropCaps([...proc.caps].filter((c) => !target!.caps.has(c)));
      for (const op of spec.ops ?? []) {
        if (op.op === 'capDrop') proc.dropCaps(op.caps);
        else if (op.op === 'seccomp') proc.loadSeccomp(op.deny, op.rules);
        else if (op.op === 'landlock') proc.enterLandlock(k.opts.landlockAbi, () => k.nextLandlockDomain());
        else throw fault('EINVAL');
      }
    } catch (e) {
      k.processes.die(proc, { code: 125 });
      throw failed('join ops', e);
    }
    try {
      const cwd = proc.ns.mnt.walk(normalizePath(spec.cwd ?? '/'), proc);
      if (cwd.node.type !== 'dir') throw fault('ENOTDIR');
      proc.cwd = cwd.path;
    } catch (e) {
      k.processes.die(proc, { code: 1 });
      throw failed(`chdir ${spec.cwd ?? '/'}`, e);
    }
    const input = spec.input === undefined ? '' : typeof spec.input === 'string' ? spec.input : new TextDecoder().decode(spec.input);
    const result = await this.runIn(proc, spec.argv, input, spec.timeoutMs);
    return spec.stdio === 'pipe' ? result : { code: result.code, ...(result.signal ? { signal: result.signal } : {}) };
  }

  /** Runs the command as `proc`; a timeout or the VE's death kills it (128+9). */
  private async runIn(proc: FakeProcess, argv: string[], input: string, timeoutMs?: number): Promise<ExecResult> {
    const k = this.k;
    const fs = new FakeFs(k, proc.pid);
    const ctx = {
      argv, env: proc.env, cwd: proc.cwd, input, pid: proc.pid, fs, uts: proc.ns.uts,
      processes: () => k.processes.liveIn(proc.ns.pid)
        .map((p) => ({ pid: proc.ns.pid.nrs.get(p.pid)!, hostPid: p.pid, argv: [...p.argv] })),
      run: (a: string[], i?: string) => this.commands.run({ ...ctx, argv: a, input: i ?? '' }),
    };
    const killed = { code: 137, signal: 'SIGKILL', stdout: '', stderr: '' };
    const done = this.commands.run(ctx).then((r: Required<CommandOutput>) => r);
    // Whether it timed out or was killed with its VE, the command ends as killed by SIGKILL.
    const ended = k.processes.waitExit(proc.pid, timeoutMs ?? 2 ** 31 - 1).then(() => killed);
    try {
      const r = await Promise.race([done, ended]);
      if (proc.alive) k.processes.die(proc, r === killed ? { signal: 'SIGKILL' } : { code: r.code });
      return r;
    } catch (e) {
      if (proc.alive) k.processes.die(proc, { code: 1 });
      throw e;
    }
  }
}
