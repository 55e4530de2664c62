/**
 * Which VE a host process belongs to, for vzpid, vzps and vztop: the members of each
 * running VE's cgroup (the core puts init there and every process it starts stays), and
 * the pid a process has inside its VE (the last NSpid of /proc/PID/status).
 */
import { isVzError, vzError, type Runtime } from '@vzkit/core';

/** Host pid → CTID, for every process of every running VE. */
export async function veOfPids(rt: Runtime): Promise<Map<number, number>> {
  const owner = new Map<number, number>();
  for (const row of await rt.list()) {
    if (row.status !== 'running') continue;
    for (const pid of await rt.pids(row.ctid)) owner.set(pid, row.ctid);
  }
  return owner;
}

/** What /proc/PID/status says of a process; undefined when it is gone. */
export interface ProcStatus {
  name: string;
  /** The process a thread belongs to (its own pid for a process). */
  tgid: number;
  /** Its pid in the innermost PID namespace it is in (NSpid's last field). */
  nsPid: number;
}

export async function procStatus(rt: Runtime, pid: number): Promise<ProcStatus | undefined> {
  let text: string;
  try {
    text = await rt.host.fs.readFile(`/proc/${pid}/status`);
  } catch {
    return undefined;
  }
  const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(text)?.[1];
  const nsPids = (field('NSpid') ?? String(pid)).trim().split(/\s+/).map(Number);
  return {
    name: field('Name') ?? '',
    tgid: Number(field('Tgid') ?? pid),
    nsPid: nsPids[nsPids.length - 1] ?? pid,
  };
}

/** Every process of the host: the numeric entries of /proc. */
export async function allPids(rt: Runtime): Promise<number[]> {
  return (await rt.host.fs.readdir('/proc')).filter((n) => /^\d+$/.test(n)).map(Number).sort((a, b) => a - b);
}

/**
 * The host pids `-E CTID` options select: the processes of those VEs, and with CTID 0
 * those of the host itself (everything in no VE). A VE that does not run selects nothing.
 */
export async function selectedPids(rt: Runtime, ids: readonly string[], tool: string): Promise<number[]> {
  const out = new Set<number>();
  let owners: Map<number, number> | undefined;
  for (const id of ids) {
    if (id === '0') {
      owners ??= await veOfPids(rt);
      for (const pid of await allPids(rt)) if (!owners.has(pid)) out.add(pid);
      continue;
    }
    let ctid: number;
    let pids: number[];
    try {
      ctid = await rt.resolveId(id);
      pids = await rt.pids(ctid);
    } catch (e) {
      // procps' tools exit 1 on every error.
      throw isVzError(e) ? vzError(e.code, e.message, { exit: 1, ...(e.hint ? { hint: e.hint } : {}) }) : e;
    }
    if (pids.length === 0) throw vzError('VE_NOT_RUNNING', `CT ${ctid} is not running`, { exit: 1, hint: `${tool} -E shows the processes of a running container` });
    for (const pid of pids) out.add(pid);
  }
  return [...out].sort((a, b) => a - b);
}

/**
 * Splits `-E CTID` / `-ECTID` options from the arguments passed on to ps or top.
 * Throws BAD_PARAM (exit 1, as procps) for an -E without a CTID.
 */
export function takeVeOptions(argv: readonly string[], tool: string): { ids: string[]; rest: string[] } {
  const ids: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-E') {
      const id = argv[++i];
      if (id === undefined) throw vzError('BAD_PARAM', 'option -E needs a CTID (0 for the host)', { exit: 1, hint: `usage: ${tool} -E CTID [options]` });
      ids.push(id);
    } else if (a.startsWith('-E') && a.length > 2 && !a.startsWith('--')) {
      ids.push(a.slice(2));
    } else {
      rest.push(a);
    }
  }
  return { ids, rest };
}

/**
 * Where the PID column of a ps or top table ends (both right-align it), from its header
 * line; undefined when the line is no header with a PID column.
 */
export function pidColumnEnd(header: string): number | undefined {
  const m = /(^|\s)PID(?=\s|$)/.exec(header);
  return m ? m.index + m[1]!.length + 3 : undefined;
}

/** The pid of a table row: the number that ends where the header's PID ends. */
export function pidOfRow(row: string, end: number): number | undefined {
  const token = row.slice(0, end).trim().split(/\s+/).pop();
  return token !== undefined && /^\d+$/.test(token) ? Number(token) : undefined;
}
