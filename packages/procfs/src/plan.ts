/**
 * What vzkit's procfs serves, computed from what the host says, and where it goes in a
 * VE. Pure: the server (server.ts) reads the kernel and the runtime, this turns those
 * figures into OpenVZ's file layouts.
 */
import { join } from 'node:path';
import type { CgroupStats, ChildOp, ServedEntry } from '@vzkit/core';

/**
 * The directory of the server's mount under which each served VE has its own copy of the
 * files (`ve/101/meminfo`): a VE's binds come from its copy, so no two VEs walk one name
 * (ServedFs.scopes). The top copy is the host's root's view.
 */
export const SCOPES_DIR = 've';

/** The files of the server's mount (relative to it). */
export const SERVED: readonly ServedEntry[] = [
  { path: 'meminfo', type: 'file', mode: 0o444 },
  { path: 'swaps', type: 'file', mode: 0o444 },
  { path: 'vz', type: 'dir', mode: 0o555 },
  { path: 'vz/user_beancounters', type: 'file', mode: 0o444 },
  { path: 'vz/veinfo', type: 'file', mode: 0o444 },
  { path: SCOPES_DIR, type: 'dir', mode: 0o555 },
];

/** VE `ctid`'s own copy of the files under the server's mount `mnt`. */
export const scopeDir = (mnt: string, ctid: number): string => join(mnt, SCOPES_DIR, String(ctid));

/**
 * Where OpenVZ's files appear inside a VE. Their own paths (/proc/user_beancounters,
 * /proc/vz/veinfo) cannot be had: a name can only be mounted on where one exists, and
 * procfs makes its root entries itself (docs/decisions.md).
 */
export const VZ_DIR = '/dev/vz';

/** The /proc views this server offers instead of lxcfs's (the PROC_FILES service). */
export const PROC_VIEWS: Readonly<Record<string, string>> = { 'proc/meminfo': 'meminfo', 'proc/swaps': 'swaps' };

/** The ops that put the OpenVZ files in the VE: /dev/vz made in its /dev and its copy's directory (`scope`: {@link scopeDir}) bound onto it. */
export function vzDirOps(scope: string, root: string): ChildOp[] {
  const target = join(root, VZ_DIR);
  return [
    { op: 'mkdir', path: target, mode: 0o555 },
    { op: 'mount', source: join(scope, 'vz'), target, fstype: 'none', flags: ['bind'] },
  ];
}

/**
 * The VE that a process belongs to, from its /proc/PID/cgroup (as the host reads it) and
 * the cgroup lines each served VE's init had: a process is in a VE when, in one
 * hierarchy, its group is the VE's or below it (a VE may make groups of its own).
 */
export function veOfCgroup(text: string, ves: ReadonlyMap<number, readonly string[]>): number | undefined {
  const mine = text.split('\n').filter(Boolean).map(splitLine);
  for (const [ctid, lines] of ves) {
    for (const line of lines) {
      const ve = splitLine(line);
      if (mine.some((m) => m.key === ve.key && (m.path === ve.path || m.path.startsWith(`${ve.path}/`)))) return ctid;
    }
  }
  return undefined;
}

function splitLine(line: string): { key: string; path: string } {
  const cut = line.indexOf(':', line.indexOf(':') + 1);
  return { key: line.slice(0, cut), path: line.slice(cut + 1) };
}

/**
 * The lines of init's /proc/PID/cgroup that name the VE's own group (`<parent>/<ctid>`),
 * not the host's or a parent shared with others: what tells its processes apart.
 */
export function ownCgroupLines(text: string, ctid: number): string[] {
  return text.split('\n').filter((l) => l && splitLine(l).path.split('/').pop() === String(ctid));
}

/**
 * /proc/vz/veinfo's line of a VE: CTID, class (0) and processes as `%10u %5u %5u`, then
 * each address as ` %15s` (IPv4) or ` %39s` (IPv6), as OpenVZ's kernel prints it.
 */
export function veinfoLine(ctid: number, nproc: number, ips: readonly string[]): string {
  const addrs = ips.map((ip) => {
    const bare = ip.replace(/\/\d+$/, '');
    return ` ${bare.padStart(bare.includes(':') ? 39 : 15)}`;
  });
  return `${String(ctid).padStart(10)} ${'0'.padStart(5)} ${String(nproc).padStart(5)}${addrs.join('')}\n`;
}

type Memory = NonNullable<CgroupStats['memory']>;

/** What /proc/meminfo shows for a VE, in kB. */
export interface MeminfoView {
  total: number;
  free: number;
  available: number;
  swapTotal: number;
  swapFree: number;
}

const kB = (bytes: number) => Math.floor(bytes / 1024);

/** A field of /proc/meminfo in kB; 0 when missing. */
export function meminfoField(text: string, name: string): number {
  const m = new RegExp(`^${name.replace(/[()]/g, '\\$&')}:\\s+(\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

/**
 * The VE's memory as OpenVZ's VSwap kernels show it: its RAM limit as MemTotal (the
 * host's when it has none or a larger one), its swap limit (SWAPPAGES) as SwapTotal —
 * the host's swap when unlimited. Without host swap the VE cannot really swap, but
 * OpenVZ's VSwap showed the limit all the same, and so do monitoring scripts' ratios.
 */
export function meminfoView(hostText: string, mem: Memory, version: 1 | 2): MeminfoView {
  const hostTotal = meminfoField(hostText, 'MemTotal');
  const total = mem.max === null ? hostTotal : Math.min(kB(mem.max), hostTotal);
  const used = Math.min(kB(mem.usage), total);
  const s = statOf(mem, version);
  const available = Math.min(total, total - used + kB(s.activeFile + s.inactiveFile + s.slabReclaimable));
  const swapLimit = mem.swap?.max;
  const swapTotal = swapLimit === undefined || swapLimit === null ? meminfoField(hostText, 'SwapTotal') : kB(swapLimit);
  const swapUsed = Math.min(kB(mem.swapUsage ?? 0), swapTotal);
  return { total, free: total - used, available, swapTotal, swapFree: swapTotal - swapUsed };
}

interface Stat {
  cache: number;
  activeAnon: number;
  inactiveAnon: number;
  activeFile: number;
  inactiveFile: number;
  unevictable: number;
  shmem: number;
  mapped: number;
  dirty: number;
  writeback: number;
  anonHuge: number;
  slab: number;
  slabReclaimable: number;
}

/** memory.stat in one vocabulary: v1's hierarchical `total_*` keys, v2's plain ones. */
function statOf(mem: Memory, version: 1 | 2): Stat {
  const v = (v1: string, v2: string) => mem.stat[version === 1 ? v1 : v2] ?? 0;
  return {
    cache: v('total_cache', 'file'),
    activeAnon: v('total_active_anon', 'active_anon'),
    inactiveAnon: v('total_inactive_anon', 'inactive_anon'),
    activeFile: v('total_active_file', 'active_file'),
    inactiveFile: v('total_inactive_file', 'inactive_file'),
    unevictable: v('total_unevictable', 'unevictable'),
    shmem: v('total_shmem', 'shmem'),
    mapped: v('total_mapped_file', 'file_mapped'),
    dirty: v('total_dirty', 'file_dirty'),
    writeback: v('total_writeback', 'file_writeback'),
    anonHuge: v('total_rss_huge', 'anon_thp'),
    slab: version === 1 ? 0 : (mem.stat['slab'] ?? 0),
    slabReclaimable: version === 1 ? 0 : (mem.stat['slab_reclaimable'] ?? 0),
  };
}

/**
 * The VE's /proc/meminfo: the host's file with the lines that describe memory use
 * replaced by the VE's (the fields lxcfs replaces, with the same sources); the rest —
 * the kernel's own tables, huge pages, vmalloc — stay the host's, as under lxcfs.
 */
export function renderMeminfo(hostText: string, mem: Memory, version: 1 | 2): string {
  const view = meminfoView(hostText, mem, version);
  const s = statOf(mem, version);
  const own: Record<string, number> = {
    MemTotal: view.total,
    MemFree: view.free,
    MemAvailable: view.available,
    Buffers: 0,
    Cached: kB(s.cache),
    SwapCached: 0,
    Active: kB(s.activeAnon + s.activeFile),
    Inactive: kB(s.inactiveAnon + s.inactiveFile),
    'Active(anon)': kB(s.activeAnon),
    'Inactive(anon)': kB(s.inactiveAnon),
    'Active(file)': kB(s.activeFile),
    'Inactive(file)': kB(s.inactiveFile),
    Unevictable: kB(s.unevictable),
    SwapTotal: view.swapTotal,
    SwapFree: view.swapFree,
    Dirty: kB(s.dirty),
    Writeback: kB(s.writeback),
    AnonPages: kB(Math.max(0, s.activeAnon + s.inactiveAnon - s.shmem)),
    Mapped: kB(s.mapped),
    Shmem: kB(s.shmem),
    Slab: kB(s.slab),
    SReclaimable: kB(s.slabReclaimable),
    SUnreclaim: kB(Math.max(0, s.slab - s.slabReclaimable)),
    AnonHugePages: kB(s.anonHuge),
    ShmemHugePages: 0,
    ShmemPmdMapped: 0,
  };
  return hostText.split('\n').map((line) => {
    const m = /^([^:]+):\s+\d+ kB$/.exec(line);
    const value = m ? own[m[1]!] : undefined;
    if (!m || value === undefined) return line;
    // The kernel's layout (show_val_kb): `Name:` padded to 16, the number to 8, ` kB`.
    return `${`${m[1]}:`.padEnd(16)}${String(value).padStart(8)} kB`;
  }).join('\n');
}

/**
 * The VE's /proc/swaps: the kernel's header, and one line for its swap limit when it has
 * room (`none ... virtual SIZE USED 0`, the line lxcfs writes), so that `swapon -s` agrees
 * with `free`.
 */
export function renderSwaps(hostText: string, view: MeminfoView): string {
  const header = hostText.split('\n')[0] || 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority';
  if (view.swapTotal <= 0) return `${header}\n`;
  return `${header}\nnone${' '.repeat(36)}virtual\t\t${view.swapTotal}\t${view.swapTotal - view.swapFree}\t0\n`;
}
