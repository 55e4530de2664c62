/**
 * vzkitd's parent: `vzlaunch reaper` (native/reaper.c), a child subreaper that adopts
 * every VE init started under it and reports how each ended, which only a parent can
 * learn (a guest's reboot and halt are told apart by the wait status alone).
 */
import { vzError } from '@vzkit/core';
import { findLauncher } from './launcher/find.js';
import { libcHandle } from './syscalls.js';
import { errnoName } from './errno.js';
import { koffi } from './koffi.js';

/** Exit status of the reaper when another one holds the lock (vzkitd already runs). */
export const REAPER_ALREADY_RUNNING = 3;

/**
 * Replaces this process (same pid, so a service manager keeps tracking it) with the
 * reaper, which holds `lockFile` and runs `argv` as its worker with the pipe of exit
 * reports on fd 3 (`VZKITD_REAPER_FD`). Returns only by throwing.
 */
export function execUnderReaper(lockFile: string, argv: readonly string[], env: NodeJS.ProcessEnv = process.env, launcher?: string): never {
  const path = findLauncher(launcher);
  const execve = libcHandle().func('int execve(const char *path, const char **argv, const char **envp)');
  // Node marks its stdin, stdout and stderr close-on-exec: the reaper would start without them.
  const fcntl = libcHandle().func('int fcntl(int fd, int cmd, int arg)');
  const F_SETFD = 2;
  for (const fd of [0, 1, 2]) fcntl(fd, F_SETFD, 0);
  const envp = Object.entries(env).flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${v}`]));
  execve(path, ['vzlaunch', 'reaper', lockFile, ...argv, null], [...envp, null]);
  const errno = errnoName(koffi().errno());
  throw vzError('SYSTEM', `exec ${path} reaper: ${errno}`, { errno, path });
}
