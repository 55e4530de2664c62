/**
 * One sealed in-memory copy of the launcher binary per process, which posix_spawn execs.
 *
 * The launcher must never run from the host's file while it is in a VE (native/cloned.c:
 * /proc/PID/exe would be a way to rewrite it, the runc CVE-2019-5736 class), so a launcher
 * started from the file copies itself into a sealed memfd and execs again: some 1 MB
 * copied and a second exec of the static binary (with glibc's CPU probing, each `cpuid`
 * a trap to the hypervisor in a VM) on every start and exec. A process that starts many
 * launchers (a bulk start, vzkitd) makes that copy once here instead; the launcher sees it
 * already runs from a memfd with every seal (running_from_copy) and goes on at once.
 *
 * Sharing one copy among launchers of different VEs gives a VE nothing: the seals (no
 * write, grow, shrink, and no removing seals) hold for every opener, as for the
 * launcher's own copies, and what it could read is the launcher binary itself.
 */
import { closeSync, fstatSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { koffi } from '../koffi.js';
import { libcHandle } from '../syscalls.js';
import { errnoName } from '../errno.js';
import { aboveChildFds, fcntl } from './child-fds.js';

const MFD_CLOEXEC = 0x1;
const MFD_ALLOW_SEALING = 0x2;
/** 6.3+: executable even where vm.memfd_noexec would make a memfd otherwise not. */
const MFD_EXEC = 0x10;
const EINVAL = 22;
const F_ADD_SEALS = 1033;
const F_SEAL_SEAL = 0x1;
const F_SEAL_SHRINK = 0x2;
const F_SEAL_GROW = 0x4;
const F_SEAL_WRITE = 0x8;
/** What native/cloned.c requires of a copy to take it as its own. */
const SEALS = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;

interface Image {
  binary: string;
  /** The file the copy was made of: a rebuilt or replaced launcher gets a new copy. */
  stamp: string;
  /** -1: not an ELF binary (a script stands in for the launcher in tests), run as it is. */
  fd: number;
  /** Spawns that may still resolve its path: its fd is closed only when none are left. */
  users: number;
}

let image: Image | undefined;
type CFunction = ReturnType<ReturnType<typeof libcHandle>['func']>;
let calls: { memfdCreate: CFunction } | undefined;

function lib() {
  if (calls) return calls;
  const c = libcHandle();
  calls = {
    memfdCreate: c.func('int memfd_create(const char *name, unsigned int flags)'),
  };
  return calls;
}

function stampOf(dev: number, ino: number, size: number, mtimeMs: number): string {
  return `${dev}:${ino}:${size}:${mtimeMs}`;
}

function fail(what: string, errno: number): never {
  throw Object.assign(new Error(`launcher copy: ${what}: ${errnoName(errno)}`), { code: errnoName(errno) });
}

const ELF = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

function makeCopy(binary: string): Image {
  const src = openSync(binary, 'r');
  let buf: Buffer;
  let stamp: string;
  try {
    // The stamp of what was read, from the open file: a replacement meanwhile is not mixed in.
    const st = fstatSync(src);
    stamp = stampOf(st.dev, st.ino, st.size, st.mtimeMs);
    buf = Buffer.allocUnsafe(st.size);
    for (let done = 0; done < st.size;) {
      const n = readSync(src, buf, done, st.size - done, done);
      if (n <= 0) throw new Error(`launcher copy: ${binary}: short read`);
      done += n;
    }
  } finally {
    closeSync(src);
  }
  // A script run from /proc/self/fd/N would find its fd closed by the exec (fexecve(3)).
  if (!buf.subarray(0, 4).equals(ELF)) return { binary, stamp, fd: -1, users: 0 };
  return { binary, stamp, fd: sealedMemfd(buf), users: 0 };
}

function sealedMemfd(content: Buffer): number {
  const c = lib();
  let fd = c.memfdCreate('vzlaunch', MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC) as number;
  if (fd < 0 && koffi().errno() === EINVAL) fd = c.memfdCreate('vzlaunch', MFD_CLOEXEC | MFD_ALLOW_SEALING) as number;
  if (fd < 0) fail('memfd_create', koffi().errno());
  // posix_spawn's file actions make the child's fds 0-4: the copy must not be one of them.
  fd = aboveChildFds(fd);
  if (fd < 0) fail('dup', -fd);
  try {
    for (let done = 0; done < content.length;) done += writeSync(fd, content, done, content.length - done);
    if (fcntl(fd, F_ADD_SEALS, SEALS) < 0) fail('seal', koffi().errno());
    return fd;
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

/** A sealed copy in use by one spawn. */
export interface SealedLauncher {
  /** `/proc/self/fd/N`: the spawned child resolves it in its own copy of our descriptors. */
  readonly path: string;
  /** The spawn has exec'd (or failed): the copy may be replaced once nobody else uses it. */
  release(): void;
}

/**
 * The sealed copy of `binary` for one spawn, made at the first call and again when the
 * file changed (a copy still in use by a spawn in flight is closed after it: its fd
 * number must not be reused while a child may still resolve the path).
 */
export function sealedLauncher(binary: string): SealedLauncher {
  const st = statSync(binary);
  const stamp = stampOf(st.dev, st.ino, st.size, st.mtimeMs);
  if (image === undefined || image.binary !== binary || image.stamp !== stamp) {
    const old = image;
    image = makeCopy(binary);
    if (old !== undefined && old.users === 0 && old.fd >= 0) closeSync(old.fd);
  }
  const used = image;
  if (used.fd < 0) return { path: binary, release: () => {} };
  used.users++;
  let released = false;
  return {
    path: `/proc/self/fd/${used.fd}`,
    release: () => {
      if (released) return;
      released = true;
      used.users--;
      if (used.users === 0 && used !== image) closeSync(used.fd);
    },
  };
}
