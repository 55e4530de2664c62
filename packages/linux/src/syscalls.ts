/**
 * The few syscalls Node itself needs, through koffi. libc is loaded on first use, so
 * importing @vzkit/linux costs nothing on a path that never mounts or waits. Failures
 * become VzErrors with the errno name and the path.
 */
import type { LibraryHandle } from 'koffi';
import { koffi } from './koffi.js';
import { closeSync } from 'node:fs';
import { vzError, type CoreErrorCode } from '@vzkit/core';
import { kernelError } from './errno.js';
import { rlimitName } from './launcher/protocol.js';

/** mount(2) flags (linux/mount.h). */
export const MS = {
  RDONLY: 1,
  NOSUID: 2,
  NODEV: 4,
  NOEXEC: 8,
  REMOUNT: 32,
  NOATIME: 1024,
  BIND: 4096,
  MOVE: 8192,
  REC: 16384,
  UNBINDABLE: 1 << 17,
  PRIVATE: 1 << 18,
  SLAVE: 1 << 19,
  SHARED: 1 << 20,
  RELATIME: 1 << 21,
  STRICTATIME: 1 << 24,
} as const;

/** umount2(2) flags. */
export const MNT_DETACH = 2;

const SYS_PIDFD_OPEN = 434;
/** The same number on every architecture (it came after their tables were unified). */
const SYS_LANDLOCK_CREATE_RULESET = 444;
const LANDLOCK_CREATE_RULESET_VERSION = 1;
const POLLIN = 1;
const SC_CLK_TCK = 2;
const SC_PAGESIZE = 30;

interface PollFd {
  fd: number;
  events: number;
  revents: number;
}

type CFunction = ReturnType<LibraryHandle['func']>;

interface Libc {
  statx: CFunction;
  mount: CFunction;
  umount2: CFunction;
  syscall: CFunction;
  poll: CFunction;
  sysconf: CFunction;
  prlimit: CFunction;
  renameat: CFunction;
  unlinkat: CFunction;
}

let libc: Libc | undefined;
let handle: LibraryHandle | undefined;

/** libc, loaded once on first use; every module that declares C functions shares it. */
export function libcHandle(): LibraryHandle {
  return (handle ??= koffi().load('libc.so.6'));
}

function lib(): Libc {
  if (libc) return libc;
  const c = libcHandle();
  // Anonymous struct: a named koffi type is process-global and cannot be declared twice.
  const pollfd = koffi().struct({ fd: 'int', events: 'short', revents: 'short' });
  libc = {
    statx: c.func('int statx(int dirfd, const char *path, int flags, unsigned int mask, void *buf)'),
    mount: c.func('int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)'),
    umount2: c.func('int umount2(const char *target, int flags)'),
    syscall: c.func('long syscall(long number, ...)'),
    poll: c.func('poll', 'int', [koffi().inout(koffi().pointer(pollfd)), 'unsigned long', 'int']),
    sysconf: c.func('long sysconf(int name)'),
    prlimit: c.func('prlimit', 'int', ['int', 'int', koffi().pointer(koffi().struct({ cur: 'uint64_t', max: 'uint64_t' })), 'void *']),
    renameat: c.func('int renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath)'),
    unlinkat: c.func('int unlinkat(int dirfd, const char *path, int flags)'),
  };
  return libc;
}

function check(rc: number, code: CoreErrorCode, what: string, path?: string): number {
  if (rc < 0) throw kernelError(code, what, koffi().errno(), path);
  return rc;
}

export function mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): void {
  const what = flags & MS.REMOUNT ? `remount ${target}` : `mount ${source ?? 'none'} on ${target}`;
  check(lib().mount(source, target, fstype, flags, data) as number, 'MOUNT_FAILED', what, target);
}

const AT_FDCWD = -100;
/** struct statx: 256 bytes; stx_attributes at 8, stx_attributes_mask at 56 (both u64). */
const STATX_SIZE = 256;
const STATX_ATTR_MOUNT_ROOT = 0x2000n;

/**
 * Whether `path` (symlinks followed) is the root of a mount, from statx(2)'s
 * STATX_ATTR_MOUNT_ROOT, on a libuv worker thread (the path may be on a FUSE or network
 * filesystem that is slow to answer). Undefined when the kernel cannot say (before 5.8)
 * or statx failed (nothing there, a dead FUSE server's ENOTCONN): the caller asks the
 * mount table.
 */
export function isMountRoot(path: string): Promise<boolean | undefined> {
  const buf = Buffer.alloc(STATX_SIZE);
  return new Promise((resolve) => {
    lib().statx.async(AT_FDCWD, path, 0, 0, buf, (err: unknown, rc: number) => {
      // errno stays on the worker thread: why it failed is for the caller's fallback to find.
      if (err || rc < 0) return resolve(undefined);
      const mask = buf.readBigUInt64LE(56);
      if (!(mask & STATX_ATTR_MOUNT_ROOT)) return resolve(undefined);
      resolve((buf.readBigUInt64LE(8) & STATX_ATTR_MOUNT_ROOT) !== 0n);
    });
  });
}

export function umount2(target: string, flags: number): void {
  check(lib().umount2(target, flags) as number, 'UMOUNT_FAILED', `umount ${target}`, target);
}

/** A pidfd for any process (not only children); close it with {@link closeFd}. */
export function pidfdOpen(pid: number): number {
  return check(Number(lib().syscall(SYS_PIDFD_OPEN, 'int', pid, 'unsigned int', 0)), 'SYSTEM', `pidfd_open ${pid}`);
}

/** openat2(2) `resolve` flags (linux/openat2.h). */
export const RESOLVE = { NO_XDEV: 0x01, NO_MAGICLINKS: 0x02, NO_SYMLINKS: 0x04, BENEATH: 0x08, IN_ROOT: 0x10 } as const;

/** open(2) flags node's fs.constants leaves out (asm-generic/fcntl.h). */
export const O_PATH = 0o10000000;

const SYS_OPENAT2 = 437;
/** struct open_how: flags, mode, resolve (three u64). */
const OPEN_HOW_SIZE = 24;

/**
 * openat2(2): the new descriptor, or minus the errno — the caller tells a refusal of the
 * path (ELOOP, EXDEV, ...) from a failure.
 */
export function openat2(dirfd: number, path: string, how: { flags: number; mode?: number; resolve: number }): number {
  const buf = Buffer.alloc(OPEN_HOW_SIZE);
  buf.writeBigUInt64LE(BigInt(how.flags), 0);
  buf.writeBigUInt64LE(BigInt(how.mode ?? 0), 8);
  buf.writeBigUInt64LE(BigInt(how.resolve), 16);
  const rc = Number(lib().syscall(SYS_OPENAT2, 'int', dirfd, 'const char *', path, 'void *', buf, 'size_t', OPEN_HOW_SIZE));
  return rc < 0 ? -koffi().errno() : rc;
}

/** renameat(2) within or between directory descriptors: 0, or minus the errno. */
export function renameat(fromDir: number, from: string, toDir: number, to: string): number {
  return (lib().renameat(fromDir, from, toDir, to) as number) < 0 ? -koffi().errno() : 0;
}

/** unlinkat(2) of a file in a directory descriptor: 0, or minus the errno. */
export function unlinkat(dirfd: number, path: string): number {
  return (lib().unlinkat(dirfd, path, 0) as number) < 0 ? -koffi().errno() : 0;
}

/**
 * The kernel's Landlock ABI version; 0 where it has none (ENOSYS) or it is not among the
 * active LSMs (EOPNOTSUPP).
 */
export function landlockAbi(): number {
  const v = Number(lib().syscall(SYS_LANDLOCK_CREATE_RULESET, 'void *', null, 'size_t', 0, 'unsigned int', LANDLOCK_CREATE_RULESET_VERSION));
  return v > 0 ? v : 0;
}

export function closeFd(fd: number): void {
  closeSync(fd);
}

/**
 * Waits up to timeoutMs for fd to become readable, on a libuv worker thread so the event
 * loop keeps running. Callers keep timeouts short: each wait holds one worker.
 */
export function pollReadable(fd: number, timeoutMs: number): Promise<boolean> {
  const pfd: PollFd = { fd, events: POLLIN, revents: 0 };
  return new Promise((resolve, reject) => {
    lib().poll.async(pfd, 1, Math.max(0, Math.floor(timeoutMs)), (err: unknown, rc: number) => {
      if (err) reject(err);
      // rc < 0 is EINTR at worst (errno is not reliable across threads): report "not yet".
      else resolve(rc > 0 && (pfd.revents & POLLIN) !== 0);
    });
  });
}

export function clockTicks(): number {
  return Number(lib().sysconf(SC_CLK_TCK));
}

export function pageSize(): number {
  return Number(lib().sysconf(SC_PAGESIZE));
}

/** setrlimit resource numbers (asm-generic/resource.h). */
export const RLIMIT: Readonly<Record<string, number>> = {
  CPU: 0, FSIZE: 1, DATA: 2, STACK: 3, CORE: 4, RSS: 5, NPROC: 6, NOFILE: 7, MEMLOCK: 8,
  AS: 9, LOCKS: 10, SIGPENDING: 11, MSGQUEUE: 12, NICE: 13, RTPRIO: 14, RTTIME: 15,
};

const RLIM_INFINITY = 0xffffffffffffffffn;

/**
 * prlimit(2) on another process; Infinity (or any non-finite value) is RLIM_INFINITY.
 * Returns false when the process is gone (ESRCH).
 */
export function setRlimit(pid: number, resource: string, soft: number, hard: number): boolean {
  const id = RLIMIT[rlimitName(resource)];
  if (id === undefined) throw vzError('BAD_VALUE', `prlimit ${pid}: unknown resource ${resource}`);
  const value = (n: number) => (Number.isFinite(n) && n >= 0 ? BigInt(Math.floor(n)) : RLIM_INFINITY);
  const rc = lib().prlimit(pid, id, { cur: value(soft), max: value(hard) }, null) as number;
  if (rc === 0) return true;
  const errno = koffi().errno();
  if (errno === 3) return false;
  throw kernelError('SYSTEM', `prlimit ${pid} ${resource} ${soft}:${hard}`, errno);
}
