/**
 * How the fake kernel fails: node:fs-style errors for file operations (what LinuxHost's
 * HostFs lets through), VzErrors with errno and path for everything else, and the
 * one-shot fault injection tests use to make the next call fail like the kernel would.
 */
import { vzError, type ChildOp, type VzError } from '@vzkit/core';
import { constants } from 'node:os';
import { getSystemErrorMessage } from 'node:util';

/** Linux errnos node's table leaves out. */
const EXTRA_ERRNOS: Record<string, number> = { ENOTBLK: 15 };

/** An errno name such as `ENOENT`, `EBUSY`, `EINVAL`. */
export type Errno = keyof typeof constants.errno | 'ENOTBLK';

function errnoNumber(errno: string): number | undefined {
  return (constants.errno as Record<string, number>)[errno] ?? EXTRA_ERRNOS[errno];
}

/**
 * A failure deep inside the fake kernel that does not yet know which call or path it
 * belongs to; the syscall layer turns it into the error the caller sees.
 */
export class KernelFault extends Error {
  constructor(readonly errno: Errno, readonly path?: string) {
    super(`${errno}${path ? ` ${path}` : ''}`);
    this.name = 'KernelFault';
  }
}

export function fault(errno: Errno, path?: string): KernelFault {
  return new KernelFault(errno, path);
}

/** `no such file or directory` for ENOENT. */
export function describeErrno(errno: string): string {
  if (errno === 'ENOTBLK') return 'block device required';
  const n = errnoNumber(errno);
  return n === undefined ? errno : getSystemErrorMessage(-n);
}

/** The error node:fs throws: `ENOENT: no such file or directory, open '/x'`, with code/errno/syscall/path. */
export function fsError(errno: Errno, syscall: string, path: string, dest?: string): NodeJS.ErrnoException {
  const where = dest === undefined ? `'${path}'` : `'${path}' -> '${dest}'`;
  const e: NodeJS.ErrnoException = new Error(`${errno}: ${describeErrno(errno)}, ${syscall} ${where}`);
  e.code = errno;
  e.errno = -(errnoNumber(errno) ?? 0);
  e.syscall = syscall;
  e.path = path;
  if (dest !== undefined) (e as NodeJS.ErrnoException & { dest: string }).dest = dest;
  return e;
}

/** A kernel refusal outside the file API: `<what>: EBUSY (resource busy or locked)`. */
export function kernelError(code: string, what: string, errno: Errno, path?: string): VzError {
  return vzError(code, `${what}: ${errno} (${describeErrno(errno)})`, { errno, ...(path ? { path } : {}) });
}

/**
 * The errno of any error the fake (or the real host) throws: `errno` of a VzError,
 * `code` of a node:fs error. For assertions that do not care which layer failed.
 */
export function errnoOf(e: unknown): string | undefined {
  if (e instanceof KernelFault) return e.errno;
  if (typeof e !== 'object' || e === null) return undefined;
  const o = e as { errno?: unknown; code?: unknown };
  if (typeof o.errno === 'string') return o.errno;
  if (typeof o.code === 'string' && /^E[A-Z0-9]+$/.test(o.code)) return o.code;
  return undefined;
}

/**
 * Calls tests can make fail once with `fake.failNext(target, errno)`. `mount` and
 * `umount` also cover the child's mount ops; `op:<name>` any child op of a launch;
 * `launch` the clone itself; `init` the exec of the VE's init; `exec` Launcher.exec.
 */
export type FaultTarget =
  | 'mount' | 'umount' | 'launch' | 'init' | 'exec' | 'signal'
  | 'cgroup.create' | 'cgroup.attach' | 'cgroup.set' | 'cgroup.kill' | 'cgroup.freeze' | 'cgroup.thaw' | 'cgroup.destroy' | 'cgroup.prune'
  | 'guest.read' | 'guest.write'
  | 'fs.writeFile' | 'fs.mkdir' | 'fs.remove' | 'fs.rename' | 'fs.readFile' | 'fs.symlink' | 'fs.copyFile' | 'fs.chmod' | 'fs.chown' | 'fs.setXattr'
  | 'net.addVeth' | 'net.setLink' | 'net.deleteLink' | 'net.addAddress' | 'net.addRoute' | 'net.addProxyNeighbour' | 'net.checkSources' | 'net.setSysctl'
  | `op:${ChildOp['op']}`;

export interface FaultOptions {
  /**
   * Only a call on this fails: the absolute path for files, mount/umount targets and
   * child ops (the op's path, target, root or name), the group as passed for cgroup
   * calls, the CTID for `launch`, argv[0] for `init`, the pid for `exec` and `signal`;
   * for `net.*` the device (`spec.name` of a veth, a route's dev, else its dst) or the
   * sysctl key (`net/ipv4/ip_forward`).
   */
  path?: string;
  /** How many matching calls fail; default 1. */
  times?: number;
}

interface Armed {
  target: FaultTarget;
  errno: Errno;
  path: string | undefined;
  left: number;
}

/** The armed faults; each syscall of the fake asks `take` before doing anything. */
export class Faults {
  private readonly armed: Armed[] = [];

  arm(target: FaultTarget, errno: Errno, opts: FaultOptions = {}): void {
    this.armed.push({ target, errno, path: opts.path, left: opts.times ?? 1 });
  }

  /** The errno the call must fail with, or undefined; consumes one shot. */
  take(target: FaultTarget, path?: string): Errno | undefined {
    const i = this.armed.findIndex((a) => a.target === target && (a.path === undefined || a.path === path));
    if (i < 0) return undefined;
    const a = this.armed[i]!;
    if (--a.left <= 0) this.armed.splice(i, 1);
    return a.errno;
  }

  /** Throws a KernelFault when a fault is armed for this call. */
  check(target: FaultTarget, path?: string): void {
    const errno = this.take(target, path);
    if (errno) throw fault(errno, path);
  }

  /** Faults not yet triggered (a test can assert its injection was reached). */
  pending(): Array<{ target: FaultTarget; errno: Errno; path?: string }> {
    return this.armed.map((a) => ({ target: a.target, errno: a.errno, ...(a.path ? { path: a.path } : {}) }));
  }
}
