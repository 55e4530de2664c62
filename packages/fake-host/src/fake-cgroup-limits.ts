/**
 * Writing limits into a fake cgroup the way the kernel takes them: one file at a time in
 * a fixed order (earlier files stay written when a later one is refused, as with a real
 * backend), values the kernel refuses fail with its errno, memory limits are rounded
 * down to whole pages, and a v1 memory limit below the current usage is EBUSY.
 */
import type { CgroupResources } from '@vzkit/core';
import { fault, type Errno } from './fake-errors.js';

export interface CgCounters {
  pidsFailcnt: number;
  pidsPeak: number;
  memUsage: number;
  memMaxUsage: number;
  memFailcnt: number;
  swapUsage: number;
  /** Charges refused at the swap limit (v1 memsw.failcnt, v2 memory.swap.events max). */
  swapFailcnt: number;
  kmemUsage: number;
  tcpUsage: number;
  shmem: number;
  oomKills: number;
  cpuUsageNs: number;
  throttledNs: number;
}

export class CgNode {
  readonly children = new Map<string, CgNode>();
  readonly members = new Set<number>();
  resources: CgroupResources = {};
  frozen = false;
  counters: CgCounters = { pidsFailcnt: 0, pidsPeak: 0, tcpUsage: 0, shmem: 0, oomKills: 0, memUsage: 0, memMaxUsage: 0, memFailcnt: 0, swapUsage: 0, swapFailcnt: 0, kmemUsage: 0, cpuUsageNs: 0, throttledNs: 0 };

  constructor(readonly path: string, readonly parent: CgNode | undefined) {}

  /** Processes here and in every group below (what pids.current counts). */
  subtreeMembers(): number[] {
    const out = [...this.members];
    for (const c of this.children.values()) out.push(...c.subtreeMembers());
    return out;
  }
}

export interface LimitContext {
  version: 1 | 2;
  pageSize: number;
  cpus: number;
  controllers: readonly string[];
  swapAccounting: boolean;
  /** The whole disk of a block device; undefined when there is none (the kernel's ENODEV). */
  disk(major: number, minor: number): { partition: boolean } | undefined;
}

/** The kernel's PID_MAX_LIMIT, the largest pids.max. */
const PID_MAX_LIMIT = 4194304;

/** A write the kernel refused: errno, and the cgroup file it was written to. */
export class LimitFault extends Error {
  constructor(readonly errno: Errno, readonly file: string, readonly value: string) {
    super(`${file}: ${errno}`);
  }
}

function isBytes(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** `0-1,3` → [0, 1, 3]; EINVAL for bad syntax. */
export function parseCpuList(list: string): number[] {
  const out: number[] = [];
  if (list.trim() === '') return out;
  for (const part of list.split(',')) {
    const m = /^\s*(\d+)(?:-(\d+))?\s*$/.exec(part);
    if (!m) throw fault('EINVAL');
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) throw fault('EINVAL');
    for (let i = a; i <= b; i++) out.push(i);
  }
  return out;
}

function effectiveCpus(node: CgNode | undefined, cpus: number): number[] {
  for (let n = node; n; n = n.parent) {
    const c = n.resources.cpuset?.cpus;
    if (c) return parseCpuList(c);
  }
  return Array.from({ length: cpus }, (_, i) => i);
}

/** Applies `res` to `node` in the order a backend writes the files; throws LimitFault on the first refusal. */
export function applyResources(node: CgNode, res: CgroupResources, ctx: LimitContext): void {
  const v1 = ctx.version === 1;
  const step = (controller: string, file: string, value: unknown, check: () => Errno | undefined, apply: () => void) => {
    const shown = value === null ? 'max' : String(value);
    if (!ctx.controllers.includes(controller)) throw new LimitFault('ENOENT', file, shown);
    const errno = check();
    if (errno) throw new LimitFault(errno, file, shown);
    apply();
  };
  const page = (n: number) => Math.floor(n / ctx.pageSize) * ctx.pageSize;
  const r = node.resources;

  if (res.pids && 'max' in res.pids) {
    const max = res.pids.max;
    step('pids', 'pids.max', max,
      () => (max === null || max === undefined || (Number.isInteger(max) && max >= 0 && max <= PID_MAX_LIMIT) ? undefined : 'EINVAL'),
      () => { r.pids = { ...r.pids, max: max ?? null }; });
  }
  const mem = res.memory;
  if (mem && 'max' in mem) {
    const max = mem.max;
    step('memory', v1 ? 'memory.limit_in_bytes' : 'memory.max', max, () => {
      if (max === null || max === undefined) return undefined;
      if (!isBytes(max)) return 'EINVAL';
      return v1 && page(max) < node.counters.memUsage ? 'EBUSY' : undefined;
    }, () => {
      const limit = max === null || max === undefined ? null : page(max);
      // v2 reclaims down to the new limit (the fake has nothing to reclaim from but usage itself) and counts the event.
      if (limit !== null && node.counters.memUsage > limit) {
        node.counters.memUsage = limit;
        node.counters.memFailcnt++;
      }
      r.memory = { ...r.memory, max: limit };
    });
  }
  if (mem && 'swap' in mem) {
    const swap = mem.swap;
    step('memory', v1 ? 'memory.memsw.limit_in_bytes' : 'memory.swap.max', swap,
      () => (v1 && !ctx.swapAccounting ? 'ENOENT' : swap === null || swap === undefined || isBytes(swap) ? undefined : 'EINVAL'),
      () => { r.memory = { ...r.memory, swap: swap === null || swap === undefined ? null : page(swap) }; });
  }
  if (mem && 'low' in mem) {
    const low = mem.low;
    step('memory', v1 ? 'memory.soft_limit_in_bytes' : 'memory.low', low,
      () => (low === null || low === undefined || isBytes(low) ? undefined : 'EINVAL'),
      () => { r.memory = { ...r.memory, low: low === null || low === undefined ? null : page(low) }; });
  }
  // Kernel memory limits exist only in v1, and current kernels accept but ignore them.
  for (const key of ['kmem', 'kmemTcp'] as const) {
    if (!v1 || !mem || !(key in mem)) continue;
    const value = mem[key];
    step('memory', key === 'kmem' ? 'memory.kmem.limit_in_bytes' : 'memory.kmem.tcp.limit_in_bytes', value,
      () => (value === null || value === undefined || isBytes(value) ? undefined : 'EINVAL'),
      () => { r.memory = { ...r.memory, [key]: value === null || value === undefined ? null : page(value) }; });
  }
  const cpu = res.cpu;
  if (cpu?.weight !== undefined) {
    const w = cpu.weight;
    step('cpu', v1 ? 'cpu.shares' : 'cpu.weight', v1 ? Math.max(2, Math.round((w * 1024) / 100)) : w,
      () => (Number.isInteger(w) && w >= 1 && w <= 10000 ? undefined : v1 ? 'EINVAL' : 'ERANGE'),
      () => { r.cpu = { ...r.cpu, weight: w }; });
  }
  if (cpu?.period !== undefined) {
    const p = cpu.period;
    step('cpu', v1 ? 'cpu.cfs_period_us' : 'cpu.max', p,
      () => (Number.isInteger(p) && p >= 1000 && p <= 1_000_000 ? undefined : 'EINVAL'),
      () => { r.cpu = { ...r.cpu, period: p }; });
  }
  if (cpu && 'quota' in cpu) {
    const q = cpu.quota;
    step('cpu', v1 ? 'cpu.cfs_quota_us' : 'cpu.max', q,
      () => (q === null || q === undefined || (Number.isInteger(q) && q >= 1000) ? undefined : 'EINVAL'),
      () => { r.cpu = { ...r.cpu, quota: q ?? null }; });
  }
  const cs = res.cpuset;
  if (cs?.cpus !== undefined) {
    const list = cs.cpus;
    step('cpuset', 'cpuset.cpus', list, () => {
      let cpus: number[];
      try {
        cpus = parseCpuList(list);
      } catch {
        return 'EINVAL';
      }
      // Past the CPUs the machine can have, the list does not parse (bitmap_parselist).
      if (cpus.some((c) => c >= ctx.cpus)) return 'ERANGE';
      if (v1 && cpus.length === 0 && node.members.size > 0) return 'ENOSPC';
      const allowed = effectiveCpus(node.parent, ctx.cpus);
      return v1 && cpus.some((c) => !allowed.includes(c)) ? 'EINVAL' : undefined;
    }, () => { r.cpuset = { ...r.cpuset, cpus: list }; });
  }
  if (cs?.mems !== undefined) {
    const mems = cs.mems;
    step('cpuset', 'cpuset.mems', mems, () => {
      try {
        return parseCpuList(mems).some((m) => m !== 0) ? 'EINVAL' : undefined;
      } catch {
        return 'EINVAL';
      }
    }, () => { r.cpuset = { ...r.cpuset, mems }; });
  }
  const limits = res.io?.limits ?? [];
  for (const l of limits) {
    const values = [l.readBps, l.writeBps, l.readIops, l.writeIops];
    step(v1 ? 'blkio' : 'io', v1 ? 'blkio.throttle.read_bps_device' : 'io.max', `${l.major}:${l.minor}`, () => {
      // The controllers take whole disks only: a partition is ENODEV as an unknown device is.
      const disk = ctx.disk(l.major, l.minor);
      if (!disk || disk.partition) return 'ENODEV';
      return values.every((x) => x === null || (Number.isSafeInteger(x) && x >= 0)) ? undefined : 'EINVAL';
    }, () => {
      const others = (r.io?.limits ?? []).filter((x) => x.major !== l.major || x.minor !== l.minor);
      // A device with no limit left has no rule (v1 writes 0, v2 max).
      const kept = values.some((x) => x !== null && x !== 0) ? [...others, { ...l }] : others;
      r.io = { ...r.io, limits: kept };
    });
  }
  if (res.io && 'weight' in res.io && res.io.weight !== undefined) {
    const w = res.io.weight;
    step(v1 ? 'blkio' : 'io', v1 ? 'blkio.bfq.weight' : 'io.weight', w,
      () => (w === null || (Number.isInteger(w) && w >= 1 && w <= 10000) ? undefined : 'ERANGE'),
      () => { r.io = { ...r.io, weight: w }; });
  }
  if (res.devices) {
    const rules = res.devices.allow;
    step('devices', 'devices.allow', rules.length,
      () => (rules.some((x) => !/^[rwm]+$/.test(x.access)) ? 'EINVAL' : undefined),
      () => { r.devices = { allow: rules.map((x) => ({ ...x })) }; });
  }
}
