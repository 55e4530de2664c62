/**
 * The descriptors a launcher's process starts with: posix_spawn's file actions make its
 * fds 0-4 (stdio, the spec channel, the replies) by dup2, so any descriptor of ours that
 * the child must still find (a channel's end, the launcher's sealed copy) has to be
 * numbered above them.
 */
import { closeSync } from 'node:fs';
import type { LibraryHandle } from 'koffi';
import { koffi } from '../koffi.js';
import { libcHandle } from '../syscalls.js';

/** The first descriptor number the child's own fds leave alone. */
const ABOVE_CHILD_FDS = 5;
const F_DUPFD_CLOEXEC = 1030;

let fcntlFn: ReturnType<LibraryHandle['func']> | undefined;

/** fcntl(2) with an int argument; errno from koffi on a negative result. */
export function fcntl(fd: number, cmd: number, arg: number): number {
  return (fcntlFn ??= libcHandle().func('int fcntl(int fd, int cmd, int arg)'))(fd, cmd, arg) as number;
}

/**
 * `fd` itself when it is above the child's fds; else a close-on-exec duplicate above
 * them, `fd` closed either way. A negative errno when the duplicate fails.
 */
export function aboveChildFds(fd: number): number {
  if (fd >= ABOVE_CHILD_FDS) return fd;
  const moved = fcntl(fd, F_DUPFD_CLOEXEC, ABOVE_CHILD_FDS);
  const errno = koffi().errno();
  closeSync(fd);
  return moved < 0 ? -errno : moved;
}
