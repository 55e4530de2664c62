/**
 * The beancounters of OpenVZ, in the order of /proc/user_beancounters (the kernel's
 * resource ids; `dummy` rows are retired ids that the file still prints).
 */
import type { SizeUnit } from '@vzkit/core';

export type UbcGroup = 'primary' | 'secondary' | 'auxiliary';

export interface UbcParam {
  /** Row name in /proc/user_beancounters and the CLI flag (`--numproc`). */
  name: string;
  /** Kernel resource id: the row order. */
  id: number;
  /** What barrier and limit count: config values are parsed into this unit. */
  unit: Exclude<SizeUnit, 'kb'>;
  group: UbcGroup;
  description: string;
  /** A guarantee: the barrier is the guaranteed amount, the limit is unused (vzctl wants it unlimited). */
  guarantee?: boolean;
}

export const UBC_PARAMS: readonly UbcParam[] = [
  { name: 'kmemsize', id: 0, unit: 'bytes', group: 'secondary', description: 'unswappable kernel memory of the VE' },
  { name: 'lockedpages', id: 1, unit: 'pages', group: 'auxiliary', description: 'mlock()ed memory (RLIMIT_MEMLOCK per process)' },
  { name: 'privvmpages', id: 2, unit: 'pages', group: 'secondary', description: 'private (writable) virtual memory allocated' },
  { name: 'shmpages', id: 3, unit: 'pages', group: 'auxiliary', description: 'SysV shared memory and tmpfs pages' },
  { name: 'numproc', id: 5, unit: 'items', group: 'primary', description: 'processes and threads' },
  { name: 'physpages', id: 6, unit: 'pages', group: 'auxiliary', description: 'RAM used; its limit is the RAM limit (--ram)' },
  { name: 'vmguarpages', id: 7, unit: 'pages', group: 'primary', description: 'memory allocation guarantee', guarantee: true },
  { name: 'oomguarpages', id: 8, unit: 'pages', group: 'secondary', description: 'guarantee against the OOM killer', guarantee: true },
  { name: 'numtcpsock', id: 9, unit: 'items', group: 'primary', description: 'TCP sockets' },
  { name: 'numflock', id: 10, unit: 'items', group: 'auxiliary', description: 'file locks' },
  { name: 'numpty', id: 11, unit: 'items', group: 'auxiliary', description: 'pseudo-terminals' },
  { name: 'numsiginfo', id: 12, unit: 'items', group: 'auxiliary', description: 'pending signals (RLIMIT_SIGPENDING per process)' },
  { name: 'tcpsndbuf', id: 13, unit: 'bytes', group: 'secondary', description: 'TCP send buffers' },
  { name: 'tcprcvbuf', id: 14, unit: 'bytes', group: 'secondary', description: 'TCP receive buffers' },
  { name: 'othersockbuf', id: 15, unit: 'bytes', group: 'secondary', description: 'send buffers of non-TCP sockets' },
  { name: 'dgramrcvbuf', id: 16, unit: 'bytes', group: 'secondary', description: 'receive buffers of non-TCP sockets' },
  { name: 'numothersock', id: 17, unit: 'items', group: 'primary', description: 'non-TCP sockets (UNIX, UDP, netlink ...)' },
  { name: 'dcachesize', id: 18, unit: 'bytes', group: 'auxiliary', description: 'dentry and inode cache' },
  { name: 'numfile', id: 19, unit: 'items', group: 'auxiliary', description: 'open files (RLIMIT_NOFILE per process)' },
  { name: 'numiptent', id: 23, unit: 'items', group: 'auxiliary', description: 'netfilter rules' },
  { name: 'swappages', id: 24, unit: 'pages', group: 'auxiliary', description: 'swap used; its limit is the swap limit (--swap)' },
];

/** Ids that /proc/user_beancounters prints as all-zero `dummy` rows. */
export const DUMMY_IDS: readonly number[] = [4, 20, 21, 22];

export function paramByName(name: string): UbcParam | undefined {
  return UBC_PARAMS.find((p) => p.name === name);
}
