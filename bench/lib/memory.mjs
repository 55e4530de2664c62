// Memory as the benchmarks read it: the host's MemAvailable, the summed PSS of a set of
// processes, the VEs' memory cgroups (v1 on these machines; v2 names too) and a limit
// on the whole cgroup parent of a benchmark's VEs.
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { selfCgroupDirs } from './cgroup-parent.mjs';

export const memAvailableKb = () => Number(/^MemAvailable:\s+(\d+)/m.exec(readFileSync('/proc/meminfo', 'utf8'))[1]);

export function pssKb(pids) {
  let sum = 0;
  for (const pid of pids) {
    try {
      sum += Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
    } catch { /* gone */ }
  }
  return sum;
}

/** The memory cgroup directory of the benchmark's parent (under @self). */
export const memoryParentDir = (parentName) => selfCgroupDirs(parentName).find((d) => d.includes('/memory/'));

const readNumber = (dir, files) => {
  for (const f of files) {
    try {
      return Number(readFileSync(join(dir, f), 'utf8'));
    } catch { /* the other version's name */ }
  }
  return 0;
};

/** Memory charged to a cgroup directory, kB. */
export const usageKb = (dir) => Math.round(readNumber(dir, ['memory.usage_in_bytes', 'memory.current']) / 1024);

/** A VE's memory cgroup: usage and member pids. */
export function veCgroup(parentName, ctid) {
  const dir = memoryParentDir(parentName);
  if (!dir) return { usageKb: 0, pids: [] };
  const g = join(dir, String(ctid));
  let pids = [];
  try {
    pids = readFileSync(join(g, 'cgroup.procs'), 'utf8').trim().split('\n').filter(Boolean).map(Number);
  } catch { /* not running */ }
  return { usageKb: usageKb(g), pids };
}

/**
 * Limits the memory of the whole parent (every VE below it together) before any VE
 * starts: v1 memory.limit_in_bytes, or v2 memory.max. Makes the directory.
 */
export function limitParentMemory(parentName, bytes) {
  const dir = memoryParentDir(parentName);
  if (!dir) throw new Error('no memory cgroup hierarchy');
  mkdirSync(dir, { recursive: true });
  const file = existsSync(join(dir, 'memory.limit_in_bytes')) ? 'memory.limit_in_bytes' : 'memory.max';
  writeFileSync(join(dir, file), String(bytes));
  return { dir, file };
}

/** The parent's OOM kills and limit hits so far (v1: memory.failcnt, memory.oom_control). */
export function parentPressure(dir) {
  const read = (f) => { try { return readFileSync(join(dir, f), 'utf8'); } catch { return ''; } };
  return {
    failcnt: Number(read('memory.failcnt').trim() || 0),
    oomKills: Number(/oom_kill (\d+)/.exec(read('memory.oom_control'))?.[1] ?? /oom_kill (\d+)/.exec(read('memory.events'))?.[1] ?? 0),
  };
}

/** Memory of the VEs `ctids` now: per VE, mean cgroup usage and summed PSS (kB). */
export function vesMemory(parentName, ctids) {
  const groups = ctids.map((id) => veCgroup(parentName, id));
  const n = Math.max(1, groups.length);
  return {
    cgroupKb: Math.round(groups.reduce((a, g) => a + g.usageKb, 0) / n),
    pssKb: Math.round(groups.reduce((a, g) => a + pssKb(g.pids), 0) / n),
    processes: groups.reduce((a, g) => a + g.pids.length, 0),
  };
}
