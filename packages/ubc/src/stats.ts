/**
 * The beancounter rows of one VE: held, maxheld and failcnt from the kernel's counters
 * (cgroups, /proc), barrier and limit from the config, and an honest status per row.
 */
import { UNLIMITED, type BarrierLimit, type CgroupStats, type StatRow } from '@vzkit/core';
import { UBC_PARAMS } from './params.js';
import type { ProcUsage } from './usage.js';

export type UbcStatus = NonNullable<StatRow['status']>;

/** What a row's numbers come from and whether its limit holds, in one line for `vzubc -v` and JSON. */
export interface Mechanism {
  status: UbcStatus;
  how: string;
}

export interface Measured {
  held?: number;
  maxheld?: number;
  failcnt?: number;
}

export interface HostFacts {
  cgroupVersion: 1 | 2;
  pageSize: number;
  /** Swap space on the host (bytes); without any, a swap limit has nothing to hold back. */
  swapTotal: number;
}

/**
 * How each parameter is enforced on this host. "Enforced" only where the kernel has the
 * limit: for cgroup limits the value read back must be the one asked for (kernels that
 * accept and ignore kmem limits read back unlimited), so `limits` and the VE's `stats`
 * decide; without them (a stopped VE) the mechanism alone does.
 */
export function mechanisms(facts: HostFacts, stats: CgroupStats | undefined, limits: ReadonlyMap<string, BarrierLimit> = new Map()): Map<string, Mechanism> {
  const v1 = facts.cgroupVersion === 1;
  const ps = facts.pageSize;
  const mem = stats?.memory;
  /** The kernel kept a finite limit asked for (read back equal, to a page); unlimited asks need no proof. */
  const kept = (wanted: number | undefined, readBack: number | null | undefined, unit = 1) => {
    if (wanted === undefined || !Number.isFinite(wanted) || stats === undefined) return true;
    return readBack !== undefined && readBack !== null && Math.abs(readBack - wanted * unit) < ps;
  };
  const limit = (n: string) => limits.get(n)?.limit;
  const tcpWanted = (limit('tcpsndbuf') ?? Infinity) + (limit('tcprcvbuf') ?? Infinity);
  const tcpKept = v1 && (stats === undefined || mem?.tcp?.max !== undefined) && kept(tcpWanted, mem?.tcp?.max);
  const swapKernel = stats === undefined || mem?.swap !== undefined || mem?.swapUsage !== undefined;
  const m: Array<[string, UbcStatus, string]> = [
    ['kmemsize', Number.isFinite(limit('kmemsize') ?? Infinity) && mem?.kmem?.max != null && kept(limit('kmemsize'), mem.kmem.max) ? 'enforced' : 'accounted',
      v1 ? 'memory.kmem.usage_in_bytes; the kernel accepts kmem limits but ignores them' : 'memory.stat kernel; counted inside memory.max'],
    ['lockedpages', 'accounted', 'sum of VmLck; RLIMIT_MEMLOCK (soft barrier, hard limit) caps each process, not the VE'],
    ['privvmpages', 'accounted', 'sum of VmData + VmStk; the kernel has no per-group overcommit limit'],
    ['shmpages', 'enforced', 'kernel.shmall/shmmax in the VE\'s IPC namespace and the size of /dev/shm; held = memory.stat shmem'],
    ['numproc', kept(limit('numproc'), stats?.pids?.max) ? 'enforced' : 'accounted', 'pids.max; held pids.current, maxheld pids.peak where the kernel has it, failcnt pids.events max'],
    ['physpages', kept(limit('physpages'), mem?.max, ps) ? 'enforced' : 'accounted',
      v1 ? 'memory.limit_in_bytes; failcnt memory.failcnt, or the OOM kills where the kernel keeps that at 0' : 'memory.max; failcnt memory.events max'],
    ['vmguarpages', 'unsupported', 'the kernel has no allocation guarantee'],
    ['oomguarpages', 'enforced', `${v1 ? 'memory.soft_limit_in_bytes' : 'memory.low'} = barrier; held RAM + swap; failcnt = OOM kills`],
    ['numtcpsock', 'accounted', 'TCP sockets among the VE\'s open files; no per-VE socket limit yet'],
    ['numflock', 'accounted', 'entries of /proc/locks held by the VE\'s processes'],
    ['numpty', 'enforced', 'max= of the VE\'s own devpts; held = its /dev/pts entries'],
    ['numsiginfo', 'unsupported', 'the kernel counts pending signals per user, not per VE; RLIMIT_SIGPENDING caps each process'],
    ['tcpsndbuf', tcpKept ? 'enforced' : 'accounted', tcpKept ? 'memory.kmem.tcp (send + receive together, limit = tcpsndbuf + tcprcvbuf limits)' : (v1 ? 'memory.kmem.tcp usage (send + receive)' : 'memory.stat sock (send + receive); counted inside memory.max')],
    ['tcprcvbuf', tcpKept ? 'enforced' : 'accounted', tcpKept ? 'memory.kmem.tcp (send + receive together)' : (v1 ? 'memory.kmem.tcp usage (send + receive)' : 'memory.stat sock (send + receive); counted inside memory.max')],
    ['othersockbuf', 'unsupported', 'no per-VE counter of non-TCP socket buffers'],
    ['dgramrcvbuf', 'unsupported', 'no per-VE counter of datagram receive buffers'],
    ['numothersock', 'accounted', 'non-TCP sockets among the VE\'s open files'],
    ['dcachesize', v1 ? 'unsupported' : 'accounted', v1 ? 'cgroup v1 memory.stat has no slab figure' : 'memory.stat slab_reclaimable'],
    ['numfile', 'accounted', 'open files of all the VE\'s processes; RLIMIT_NOFILE (soft barrier, hard limit) caps each process, not the VE'],
    ['numiptent', 'unsupported', 'needs the VE\'s own network namespace (ns-net) to count its rules'],
    ['swappages', !swapKernel ? 'unsupported' : facts.swapTotal > 0 ? 'enforced' : 'accounted',
      !swapKernel ? 'swap accounting is off in this kernel' : `${v1 ? 'memory.memsw.limit_in_bytes = RAM + swap' : 'memory.swap.max'}${facts.swapTotal > 0 ? '' : '; the host has no swap, so there is nothing to hold back'}`],
  ];
  return new Map(m.map(([name, status, how]) => [name, { status, how }]));
}

const pages = (b: number | undefined, pageSize: number) => (b === undefined ? undefined : Math.ceil(b / pageSize));

/** Held/maxheld/failcnt of every parameter that has a real counter; the rest are absent. */
export function measure(facts: HostFacts, stats: CgroupStats, usage: ProcUsage): Map<string, Measured> {
  const ps = facts.pageSize;
  const out = new Map<string, Measured>();
  const mem = stats.memory;
  if (stats.pids) out.set('numproc', { held: stats.pids.current, ...(stats.pids.peak !== undefined ? { maxheld: stats.pids.peak } : {}), failcnt: stats.pids.failcnt });
  if (mem) {
    // v1 on recent kernels leaves memory.failcnt at 0 even when the limit is hit; the
    // OOM kills at the RAM limit are then the count of refused allocations.
    const physFail = mem.failcnt > 0 || facts.cgroupVersion === 2 ? mem.failcnt : (mem.oomKills ?? 0);
    out.set('physpages', { held: pages(mem.usage, ps)!, maxheld: pages(mem.maxUsage, ps)!, failcnt: physFail });
    const swapUse = mem.swap?.usage ?? mem.swapUsage;
    if (swapUse !== undefined) {
      // v1's memsw peak is of RAM + swap together, not of swap: no maxheld there. Its
      // failcnt is: a memsw charge fails when RAM and swap room are both used up, which is
      // when an OpenVZ VE's swappages fail (v2: memory.swap.events max).
      const peak = facts.cgroupVersion === 2 ? mem.swap?.maxUsage : undefined;
      out.set('swappages', {
        held: pages(swapUse, ps)!,
        ...(peak !== undefined ? { maxheld: pages(peak, ps)! } : {}),
        ...(mem.swap?.failcnt !== undefined ? { failcnt: mem.swap.failcnt } : {}),
      });
    }
    out.set('oomguarpages', { held: pages(mem.usage + (swapUse ?? 0), ps)!, ...(mem.oomKills !== undefined ? { failcnt: mem.oomKills } : {}) });
    const kmem = mem.kmem ?? (mem.kmemUsage !== undefined ? { usage: mem.kmemUsage } : undefined);
    if (kmem) out.set('kmemsize', counter(kmem));
    if (mem.tcp) {
      out.set('tcpsndbuf', counter(mem.tcp));
      out.set('tcprcvbuf', counter(mem.tcp));
    }
    if (mem.stat['shmem'] !== undefined) out.set('shmpages', { held: pages(mem.stat['shmem'], ps)! });
    if (facts.cgroupVersion === 2 && mem.stat['slab_reclaimable'] !== undefined) out.set('dcachesize', { held: mem.stat['slab_reclaimable'] });
  }
  const kbPages = (kb: number) => Math.ceil((kb * 1024) / ps);
  if (usage.lockedKb !== undefined) out.set('lockedpages', { held: kbPages(usage.lockedKb) });
  if (usage.privvmKb !== undefined) out.set('privvmpages', { held: kbPages(usage.privvmKb) });
  for (const name of ['numfile', 'numtcpsock', 'numothersock', 'numflock', 'numpty'] as const) {
    const v = usage[name];
    if (v !== undefined) out.set(name, { held: v });
  }
  return out;
}

function counter(c: { usage: number; maxUsage?: number; failcnt?: number }): Measured {
  return { held: c.usage, ...(c.maxUsage !== undefined ? { maxheld: c.maxUsage } : {}), ...(c.failcnt !== undefined ? { failcnt: c.failcnt } : {}) };
}

/** One row per parameter, in /proc/user_beancounters order. */
export function beancounterRows(limits: ReadonlyMap<string, BarrierLimit>, measured: ReadonlyMap<string, Measured>, mech: ReadonlyMap<string, Mechanism>): StatRow[] {
  return UBC_PARAMS.map((p) => {
    const l = limits.get(p.name);
    const m = measured.get(p.name) ?? {};
    const how = mech.get(p.name)!;
    return {
      resource: p.name,
      ...(m.held !== undefined ? { held: m.held } : {}),
      ...(m.maxheld !== undefined ? { maxheld: m.maxheld } : {}),
      barrier: l?.barrier ?? UNLIMITED,
      limit: l?.limit ?? UNLIMITED,
      ...(m.failcnt !== undefined ? { failcnt: m.failcnt } : {}),
      status: how.status,
      extra: { unit: p.unit, how: how.how },
    };
  });
}
