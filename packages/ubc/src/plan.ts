/**
 * From beancounters to kernel mechanisms. One pure function turns the configured
 * barrier:limit pairs into what the host is asked to do: cgroup limits, per-process
 * rlimits, the VE's IPC sysctls and the sizes of its /dev/pts and /dev/shm. Unset
 * parameters are unlimited.
 */
import { UNLIMITED, type BarrierLimit, type CgroupResources } from '@vzkit/core';

/** The largest RLIMIT_NOFILE the kernel takes by default (fs.nr_open). */
export const NR_OPEN = 1048576;
/** devpts' own ceiling (NR_UNIX98_PTY_MAX): `max=` for an unlimited numpty. */
export const PTY_MAX = 1048576;
/** The kernel's default kernel.shmall / kernel.shmmax (ULONG_MAX - 2^24): "no limit". */
export const SHM_UNLIMITED = '18446744073692774399';

export interface RlimitPlan {
  resource: 'MEMLOCK' | 'NOFILE' | 'SIGPENDING';
  soft: number;
  hard: number;
}

export interface UbcPlan {
  cgroup: CgroupResources;
  rlimits: RlimitPlan[];
  /** kernel.shmall (pages) and kernel.shmmax (bytes) in the VE's IPC namespace, as text. */
  shmall: string;
  shmmax: string;
  /** tmpfs `size=` of /dev/shm: bytes, or `50%` of RAM (its default) when unlimited. */
  devShmSize: string;
  /** devpts `max=`. */
  ptyMax: number;
}

type Limits = ReadonlyMap<string, BarrierLimit>;

const limitOf = (l: Limits, name: string) => l.get(name)?.limit ?? UNLIMITED;
const barrierOf = (l: Limits, name: string) => l.get(name)?.barrier ?? UNLIMITED;
const finite = (n: number) => Number.isFinite(n);
/** Bytes of a page count, null for unlimited (what CgroupResources takes). */
const bytes = (pages: number, pageSize: number) => (finite(pages) ? pages * pageSize : null);

/**
 * An rlimit from barrier:limit: soft = barrier, hard = limit. A barrier of 0 means "no
 * soft stop" in OpenVZ (numfile: no precharge), so the soft limit is then the limit.
 */
function rlimit(l: Limits, name: string, resource: RlimitPlan['resource'], scale: number): RlimitPlan | undefined {
  const v = l.get(name);
  // NOFILE cannot be RLIM_INFINITY (the kernel caps it at nr_open): unlimited keeps what init inherits.
  if (!v || (resource === 'NOFILE' && !finite(v.limit))) return undefined;
  const hard = finite(v.limit) ? v.limit * scale : Infinity;
  const soft = v.barrier > 0 && finite(v.barrier) ? Math.min(v.barrier * scale, hard) : hard;
  return { resource, soft, hard };
}

export function planLimits(limits: Limits, pageSize: number): UbcPlan {
  const ram = limitOf(limits, 'physpages');
  const swap = limitOf(limits, 'swappages');
  const tcp = limitOf(limits, 'tcpsndbuf') + limitOf(limits, 'tcprcvbuf');
  const oomguar = barrierOf(limits, 'oomguarpages');
  const numproc = limitOf(limits, 'numproc');
  const kmem = limitOf(limits, 'kmemsize');
  const cgroup: CgroupResources = {
    pids: { max: finite(numproc) ? numproc : null },
    memory: {
      max: bytes(ram, pageSize),
      // Swap room only means something under a RAM limit (validation insists on one).
      ...(finite(ram) ? { swap: bytes(swap, pageSize) } : {}),
      low: bytes(oomguar, pageSize),
      kmem: finite(kmem) ? kmem : null,
      kmemTcp: finite(tcp) ? tcp : null,
    },
  };
  const rlimits = [
    rlimit(limits, 'lockedpages', 'MEMLOCK', pageSize),
    rlimit(limits, 'numfile', 'NOFILE', 1),
    rlimit(limits, 'numsiginfo', 'SIGPENDING', 1),
  ].filter((r): r is RlimitPlan => r !== undefined);
  const shm = limitOf(limits, 'shmpages');
  const numpty = limitOf(limits, 'numpty');
  return {
    cgroup,
    rlimits,
    shmall: finite(shm) ? String(shm) : SHM_UNLIMITED,
    shmmax: finite(shm) ? String(shm * pageSize) : SHM_UNLIMITED,
    devShmSize: finite(shm) ? String(shm * pageSize) : '50%',
    ptyMax: finite(numpty) ? Math.min(numpty, PTY_MAX) : PTY_MAX,
  };
}
