/**
 * What lxcfs puts in a VE: which of its files go over the VE's own /proc and /sys files
 * (from FEATURES sysfs and MEMINFO), and the binds that do it, at start or live. Pure.
 */
import { join } from 'node:path';
import type { ChildOp } from '@vzkit/core';

/** What lxcfs virtualizes, relative to its mount and to the VE's root. */
export const VIEWS = [
  'proc/cpuinfo', 'proc/stat', 'proc/loadavg', 'proc/meminfo', 'proc/uptime', 'proc/diskstats', 'proc/swaps',
  'sys/devices/system/cpu/online',
] as const;

/** The views a VE gets: the /sys one only when it has a /sys, /proc/meminfo unless MEMINFO is none (the host's figures). */
export function wantedViews(opts: { sysfs: boolean; meminfo: boolean }): string[] {
  return VIEWS.filter((v) => (opts.sysfs || !v.startsWith('sys/')) && (opts.meminfo || v !== 'proc/meminfo'));
}

/** The bind of one view (the host file `source`) over the VE's file under `root` (host-side, before the pivot). */
export function viewBind(source: string, root: string, view: string): ChildOp {
  return { op: 'mount', source, target: join(root, view), fstype: 'none', flags: ['bind'] };
}

/** A live MEMINFO change inside a running VE: the view `source` bound over its /proc/meminfo, or taken away. */
export function meminfoOp(source: string, on: boolean): ChildOp {
  const target = '/proc/meminfo';
  return on ? { op: 'mount', source, target, fstype: '', flags: ['bind'] } : { op: 'umount', target, detach: true };
}
