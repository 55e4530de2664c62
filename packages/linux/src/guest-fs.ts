/**
 * GuestFs on Linux: files inside a VE's tree, reached from the host as libpathrs and
 * runc's securejoin do. The VE root is opened once (O_PATH); every guest path is
 * resolved beneath it by openat2(2) with RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS |
 * RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV, as an O_PATH descriptor, which opens nothing:
 * a FIFO cannot block, a device's open (a watchdog arms itself when opened) never runs.
 * Its type and size are read with fstat on that descriptor; only a regular file is then
 * reopened for reading through /proc/self/fd, which yields that very inode whatever the
 * name points to by then. Writes make a new file with O_EXCL in the directory's
 * descriptor and rename it over the old name within that descriptor, so whatever the
 * VE swaps in meanwhile is at worst replaced as a directory entry, never written through.
 */
import { closeSync, fchmodSync, fchownSync, fstatSync, fsyncSync, openSync, readSync, writeSync, constants as fsc, type Stats } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { constants } from 'node:os';
import { GUEST_READ_LIMIT, guestPathParts, guestRefusal, isVzError, vzError, type FileStat, type GuestFs } from '@vzkit/core';
import { kernelError, nodeFsError } from './errno.js';
import { fileType } from './fs.js';
import { O_PATH, RESOLVE, openat2, renameat, unlinkat } from './syscalls.js';

const { EAGAIN, EEXIST, EISDIR, ELOOP, ENOENT, ENOSYS, ENOTDIR, ENOTEMPTY, EXDEV } = constants.errno;
const O_CLOEXEC = 0o2000000;
const IN_VE = RESOLVE.IN_ROOT | RESOLVE.NO_SYMLINKS | RESOLVE.NO_MAGICLINKS | RESOLVE.NO_XDEV;

/** One call: the guest path, the host path it stands for, and what is being done to it. */
interface Op {
  rel: string;
  path: string;
  where: string;
}

function opOn(verb: string, root: string, rel: string): Op {
  const path = `${root.replace(/\/+$/, '')}/${guestPathParts(rel).join('/')}`;
  return { rel, path, where: `${verb} ${path}` };
}

function describe(st: Stats): FileStat {
  return { type: fileType(st), mode: st.mode & 0o7777, size: st.size, uid: st.uid, gid: st.gid, dev: st.dev };
}

/** Runs `fn` with descriptors it registers, closing them all however it ends. */
function withFds<T>(fn: (keep: (fd: number) => number) => T): T {
  const fds: number[] = [];
  try {
    return fn((fd) => (fds.push(fd), fd));
  } finally {
    for (const fd of fds.reverse()) closeSync(fd);
  }
}

/** The VE root as an O_PATH descriptor; undefined when it does not exist. */
function openRoot(root: string): number | undefined {
  try {
    return openSync(root, O_PATH | fsc.O_DIRECTORY);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw nodeFsError(e, `open the VE root ${root}`, root);
  }
}

/**
 * openat2 beneath `dirfd`: the descriptor, or undefined when something on the way is
 * missing; what the guest's tree makes unsafe is a refusal naming `rel`.
 */
function resolveAt(dirfd: number, path: string, flags: number, o: Op): number | undefined {
  const { rel, where } = o;
  for (let tries = 0; ; tries++) {
    const fd = openat2(dirfd, path, { flags: flags | O_CLOEXEC, resolve: IN_VE });
    if (fd >= 0) return fd;
    const errno = -fd;
    // Only a racing rename or mount makes the kernel ask for a retry.
    if (errno === EAGAIN && tries < 8) continue;
    if (errno === ENOENT) return undefined;
    if (errno === ELOOP) throw guestRefusal.symlinkOnPath(rel);
    if (errno === EXDEV) throw guestRefusal.mountOnPath(rel);
    if (errno === ENOTDIR) throw guestRefusal.notDirOnPath(rel);
    if (errno === ENOSYS) {
      throw vzError('UNSUPPORTED', `${where}: this kernel has no openat2(2) (Linux 5.6+), without which vzkit cannot reach a VE's files safely`, { errno: 'ENOSYS' });
    }
    throw kernelError('SYSTEM', where, errno, o.path);
  }
}

function refuseUnlessFile(st: Stats, rel: string): void {
  const type = fileType(st);
  if (type === 'symlink') throw guestRefusal.symlink(rel);
  if (type !== 'file') throw guestRefusal.type(rel, type);
}

/** Reads at most `max` + 1 bytes: one more than allowed tells a file that grew past the limit. */
function readBounded(fd: number, size: number, max: number): Buffer {
  let buf = Buffer.alloc(Math.min(size, max) + 1);
  let n = 0;
  for (;;) {
    if (n === buf.length) {
      if (n > max) break;
      const bigger = Buffer.alloc(Math.min(n * 2, max + 1));
      buf.copy(bigger, 0, 0, n);
      buf = bigger;
    }
    const got = readSync(fd, buf, n, buf.length - n, null);
    if (got === 0) break;
    n += got;
  }
  return buf.subarray(0, n);
}

export class LinuxGuestFs implements GuestFs {
  async stat(root: string, rel: string): Promise<FileStat | undefined> {
    const o = opOn('stat', root, rel);
    return withFds((keep) => {
      const top = openRoot(root);
      if (top === undefined) return undefined;
      const rootFd = keep(top);
      const fd = resolveAt(rootFd, rel, O_PATH | fsc.O_NOFOLLOW, o);
      return fd === undefined ? undefined : describe(fstatSync(keep(fd)));
    });
  }

  async read(root: string, rel: string, opts: { maxBytes?: number } = {}): Promise<string | undefined> {
    const o = opOn('read', root, rel);
    const max = opts.maxBytes ?? GUEST_READ_LIMIT;
    return withFds((keep) => {
      const top = openRoot(root);
      if (top === undefined) return undefined;
      const rootFd = keep(top);
      const pathFd = resolveAt(rootFd, rel, O_PATH | fsc.O_NOFOLLOW, o);
      if (pathFd === undefined) return undefined;
      const st = fstatSync(keep(pathFd));
      refuseUnlessFile(st, rel);
      if (st.size > max) throw guestRefusal.size(rel, max);
      let fd: number;
      try {
        fd = keep(openSync(`/proc/self/fd/${pathFd}`, fsc.O_RDONLY | fsc.O_NONBLOCK | fsc.O_NOCTTY));
      } catch (e) {
        throw nodeFsError(e, o.where, o.path);
      }
      const again = fstatSync(fd);
      if (again.ino !== st.ino || again.dev !== st.dev) throw vzError('SYSTEM', `${o.where}: the file changed while it was opened`, { path: o.path });
      const data = readBounded(fd, st.size, max);
      if (data.length > max) throw guestRefusal.size(rel, max);
      return data.toString('utf8');
    });
  }

  async write(root: string, rel: string, data: string | Uint8Array, opts: { create?: boolean; mode?: number } = {}): Promise<boolean> {
    const o = opOn('write', root, rel);
    const parts = guestPathParts(rel);
    const name = parts.pop()!;
    return withFds((keep) => {
      const top = openRoot(root);
      if (top === undefined) return false;
      const rootFd = keep(top);
      let dirFd = rootFd;
      if (parts.length) {
        const fd = resolveAt(rootFd, parts.join('/'), O_PATH | fsc.O_DIRECTORY, o);
        if (fd === undefined) return false;
        dirFd = keep(fd);
      }
      const entryFd = resolveAt(dirFd, name, O_PATH | fsc.O_NOFOLLOW, o);
      const entry = entryFd === undefined ? undefined : fstatSync(keep(entryFd));
      if (entry) refuseUnlessFile(entry, rel);
      else if (!opts.create) return false;
      // A replaced file keeps its owner; a new one takes its directory's (the VE's root
      // in a user-namespaced VE, not the host's root it would show as nobody).
      const owner = entry ?? fstatSync(dirFd);
      const mode = (opts.mode ?? (entry ? entry.mode : 0o644)) & 0o777;
      const { tmp, fd } = makeTemp(dirFd, name, o);
      try {
        try {
          const bytes = typeof data === 'string' ? Buffer.from(data) : data;
          for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
          fchownSync(fd, owner.uid, owner.gid);
          fchmodSync(fd, mode);
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
        const rc = renameat(dirFd, tmp, dirFd, name);
        if (rc === -EISDIR || rc === -ENOTEMPTY) throw guestRefusal.type(rel, 'dir');
        if (rc < 0) throw kernelError('SYSTEM', o.where, -rc, o.path);
      } catch (e) {
        unlinkat(dirFd, tmp);
        throw isVzError(e) ? e : nodeFsError(e, o.where, o.path);
      }
      return true;
    });
  }
}

/** A new, empty file beside `name` that nobody else can have made (O_EXCL, a random name). */
function makeTemp(dirFd: number, name: string, o: Op): { tmp: string; fd: number } {
  for (let tries = 0; ; tries++) {
    const tmp = `.vzkit-${name.slice(0, 200)}.${randomBytes(6).toString('hex')}`;
    const fd = openat2(dirFd, tmp, { flags: fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW | O_CLOEXEC, mode: 0o600, resolve: IN_VE });
    if (fd >= 0) return { tmp, fd };
    if (-fd === EEXIST && tries < 8) continue;
    throw kernelError('SYSTEM', `${o.where}: create a file beside it`, -fd, o.path);
  }
}
