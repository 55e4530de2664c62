/**
 * Usage the cgroups do not count, summed over the VE's processes from the host's /proc
 * (through the Host's files, so FakeHost can stand in): open files and sockets, locked
 * and private memory, file locks, pseudo-terminals. Each figure is a real count at the
 * moment of reading; one the host cannot read is left out, never guessed.
 */
import type { HostFs } from '@vzkit/core';

export interface ProcUsage {
  numfile?: number;
  numtcpsock?: number;
  numothersock?: number;
  /** kB, summed VmLck. */
  lockedKb?: number;
  /** kB, summed VmData + VmStk: private writable mappings, what privvmpages counts. */
  privvmKb?: number;
  numflock?: number;
  numpty?: number;
}

/** `VmLck:   12 kB` → 12; undefined when the line is missing (kernel threads, zombies). */
export function statusKb(status: string, field: string): number | undefined {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
  return m ? Number(m[1]) : undefined;
}

/** Inodes of the sockets listed in /proc/net/tcp or tcp6 (column 10). */
export function tcpInodes(text: string): Set<string> {
  const out = new Set<string>();
  for (const line of text.split('\n').slice(1)) {
    const inode = line.trim().split(/\s+/)[9];
    if (inode !== undefined && inode !== '0') out.add(inode);
  }
  return out;
}

/** File locks held by any of `pids` in /proc/locks (`1: POSIX ADVISORY WRITE 1234 08:01:5 0 EOF`). */
export function countLocks(text: string, pids: ReadonlySet<number>): number {
  let n = 0;
  for (const line of text.split('\n')) {
    // Blocked waiters (`1: -> POSIX ...`) are not locks held.
    const f = line.trim().split(/\s+/);
    if (f.length < 5 || f[1] === '->') continue;
    if (pids.has(Number(f[4]))) n++;
  }
  return n;
}

async function optional<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch {
    return undefined;
  }
}

/**
 * Scans the VE's processes (host pids). A process that exits during the scan simply
 * stops counting; sockets shared by several processes count once.
 */
export async function procUsage(fs: HostFs, pids: readonly number[], initPid: number | undefined): Promise<ProcUsage> {
  const out: ProcUsage = {};
  let files = 0, locked = 0, privvm = 0, statusSeen = false, fdSeen = false;
  const sockets = new Set<string>();
  for (const pid of pids) {
    const status = await optional(fs.readFile(`/proc/${pid}/status`));
    if (status !== undefined) {
      statusSeen = true;
      locked += statusKb(status, 'VmLck') ?? 0;
      privvm += (statusKb(status, 'VmData') ?? 0) + (statusKb(status, 'VmStk') ?? 0);
    }
    const fds = await optional(fs.readdir(`/proc/${pid}/fd`));
    if (fds === undefined) continue;
    fdSeen = true;
    files += fds.length;
    for (const fd of fds) {
      const target = await optional(fs.readlink(`/proc/${pid}/fd/${fd}`));
      const inode = target && /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode) sockets.add(inode);
    }
  }
  if (statusSeen) {
    out.lockedKb = locked;
    out.privvmKb = privvm;
  }
  if (fdSeen) {
    out.numfile = files;
    // TCP sockets are those the VE's network namespace lists in /proc/PID/net/tcp{,6}.
    const lists = initPid === undefined ? [] : await Promise.all(['tcp', 'tcp6'].map((f) => optional(fs.readFile(`/proc/${initPid}/net/${f}`))));
    if (lists.some((t) => t !== undefined)) {
      const tcp = new Set<string>();
      for (const t of lists) if (t !== undefined) for (const i of tcpInodes(t)) tcp.add(i);
      out.numtcpsock = [...sockets].filter((i) => tcp.has(i)).length;
      out.numothersock = sockets.size - out.numtcpsock;
    }
  }
  const locks = await optional(fs.readFile('/proc/locks'));
  if (locks !== undefined) out.numflock = countLocks(locks, new Set(pids));
  if (initPid !== undefined) {
    // The VE's own devpts instance, seen through its init's root.
    const pts = await optional(fs.readdir(`/proc/${initPid}/root/dev/pts`));
    if (pts !== undefined) out.numpty = pts.filter((n) => /^\d+$/.test(n)).length;
  }
  return out;
}
