/**
 * ProcessService on /proc: start times against pid reuse, signals, waiting for
 * processes that are not our children (a VE's init is reparented once the launcher exits);
 * host programs (run.ts) and daemons.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { readlink } from 'node:fs/promises';
import { constants } from 'node:os';
import { vzError, type Namespace, type ProcessService, type RunOptions, type RunResult } from '@vzkit/core';
import { errnoCode } from './errno.js';
import { runProgram } from './run.js';
import { closeFd, pidfdOpen, pollReadable, setRlimit } from './syscalls.js';

/** The fields of /proc/PID/stat vzkit uses. */
export interface ProcStat {
  pid: number;
  /** Executable name, as the kernel truncates it (may contain spaces and parentheses). */
  comm: string;
  /** R, S, D, Z, T, ... */
  state: string;
  ppid: number;
  /** Field 22: clock ticks after boot. */
  startTime: number;
}

/**
 * Parses /proc/PID/stat. comm may contain anything, ')' included, so the fixed fields are
 * counted from the last ')'.
 */
export function parseProcStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  // After ')' come field 3 (state) onwards: field N is rest[N - 3].
  const rest = text.slice(close + 2).trim().split(/\s+/);
  const startTime = Number(rest[22 - 3]);
  if (rest.length < 20 || !Number.isSafeInteger(startTime)) return undefined;
  return {
    pid: Number(text.slice(0, open).trim()),
    comm: text.slice(open + 1, close),
    state: rest[0]!,
    ppid: Number(rest[1]),
    startTime,
  };
}

/** Slice of one pidfd wait: bounds how long a libuv worker is held. */
const POLL_SLICE_MS = 1000;
/** Polling interval where pidfd_open is unavailable. */
const FALLBACK_INTERVAL_MS = 20;

export class LinuxProcessService implements ProcessService {
  async stat(pid: number): Promise<ProcStat | undefined> {
    try {
      // procfs makes the text at read, without I/O: a thread-pool round trip would cost
      // the event loop more than the read (liveness checks run several times a start).
      return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch (e) {
      if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ESRCH') return undefined;
      throw e;
    }
  }

  /** Undefined for a process that is gone or a zombie. */
  async startTime(pid: number): Promise<number | undefined> {
    const st = await this.stat(pid);
    return st && st.state !== 'Z' && st.state !== 'X' ? st.startTime : undefined;
  }

  async alive(pid: number, startTime?: number): Promise<boolean> {
    const started = await this.startTime(pid);
    return started !== undefined && (startTime === undefined || started === startTime);
  }

  async signal(pid: number, signal: NodeJS.Signals | number): Promise<boolean> {
    try {
      process.kill(pid, signal);
      return true;
    } catch (e) {
      if (errnoCode(e) === 'ESRCH') return false;
      if (errnoCode(e) === 'EPERM') throw vzError('PERMISSION', `signal ${String(signal)} to pid ${pid}: EPERM`, { errno: 'EPERM', cause: e });
      throw e;
    }
  }

  /** pidfd + poll on a worker thread (wakes at once on exit); plain polling where pidfds are missing. */
  async waitExit(pid: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    let fd: number;
    try {
      fd = pidfdOpen(pid);
    } catch (e) {
      if ((e as { errno?: string }).errno === 'ESRCH') return true;
      return this.pollUntilGone(pid, deadline);
    }
    try {
      for (;;) {
        if (!(await this.alive(pid))) return true;
        const left = deadline - Date.now();
        if (left <= 0) return false;
        if (await pollReadable(fd, Math.min(left, POLL_SLICE_MS))) return true;
      }
    } finally {
      closeFd(fd);
    }
  }

  private async pollUntilGone(pid: number, deadline: number): Promise<boolean> {
    for (;;) {
      if (!(await this.alive(pid))) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, FALLBACK_INTERVAL_MS));
    }
  }

  async namespaceId(pid: number, ns: Namespace): Promise<string | undefined> {
    try {
      return await readlink(`/proc/${pid}/ns/${ns}`);
    } catch (e) {
      if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ESRCH') return undefined;
      throw e;
    }
  }

  async setRlimit(pid: number, resource: string, soft: number, hard: number): Promise<boolean> {
    return setRlimit(pid, resource, soft, hard);
  }

  async daemon(argv: string[], opts: { log: string }): Promise<number> {
    const out = openSync(opts.log, 'a', 0o640);
    try {
      const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', out, out] });
      const pid = await new Promise<number>((resolve, reject) => {
        child.once('spawn', () => resolve(child.pid!));
        child.once('error', (e) => reject(vzError('SYSTEM', `start ${argv[0]}: ${errnoCode(e) ?? String(e)}`, { cause: e })));
      });
      // vzctl exits long before the daemon: nothing may wait for it.
      child.unref();
      return pid;
    } finally {
      closeSync(out);
    }
  }

  run(argv: string[], opts?: RunOptions): Promise<RunResult> {
    return runProgram(argv, opts);
  }
}

/** `SIGTERM` for 15. */
export function signalName(signo: number): string | undefined {
  return Object.entries(constants.signals).find(([, n]) => n === signo)?.[0];
}
