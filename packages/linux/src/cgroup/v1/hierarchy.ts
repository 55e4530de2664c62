/**
 * Which v1 controllers are mounted where, from /proc/self/mountinfo (or /proc/mounts).
 * Each v1 hierarchy is one mount of fstype `cgroup` whose super options name its
 * controllers; co-mounted controllers (`cpu,cpuacct`) share one directory tree.
 */
import { isAbsolute, relative } from 'node:path';

/** One mounted v1 hierarchy. */
export interface Hierarchy {
  /** Controllers bound to this hierarchy, in the order vzkit uses them. */
  controllers: string[];
  /** Where it is mounted. */
  mountPoint: string;
  /** The cgroup the mount shows as its top (not `/` inside some containers). */
  root: string;
}

/** The v1 controllers vzkit drives; others (net_cls, perf_event, ...) are left alone. */
export const V1_CONTROLLERS = ['pids', 'memory', 'cpu', 'cpuacct', 'cpuset', 'freezer', 'devices', 'blkio'] as const;
export type V1Controller = (typeof V1_CONTROLLERS)[number];

interface CgroupMount { fstype: string; mountPoint: string; root: string; options: string[] }

/** Undoes the octal escapes (`\040` for space) the kernel uses in mount tables. */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Parses mountinfo lines; falls back to the /proc/mounts layout for lines without ` - `. */
export function parseCgroupMounts(text: string): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const sep = line.indexOf(' - ');
    if (sep >= 0) {
      const pre = line.slice(0, sep).split(' ');
      const post = line.slice(sep + 3).split(' ');
      const [fstype, , superOpts = ''] = post;
      if (!fstype || pre.length < 6) continue;
      mounts.push({ fstype, root: unescape(pre[3]!), mountPoint: unescape(pre[4]!), options: [...pre[5]!.split(','), ...superOpts.split(',')] });
    } else {
      const [, mountPoint, fstype, opts = ''] = line.split(' ');
      if (!mountPoint || !fstype) continue;
      mounts.push({ fstype, root: '/', mountPoint: unescape(mountPoint), options: opts.split(',') });
    }
  }
  return mounts.filter((m) => m.fstype === 'cgroup' || m.fstype === 'cgroup2');
}

/** True when `path` is `root` or below it. */
export function isWithin(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * The v1 hierarchies mounted under `root` that carry a controller vzkit uses. Named
 * hierarchies (name=systemd) carry none and drop out; mounts elsewhere (a VE's own
 * /sys/fs/cgroup, a bind mount) are ignored so vzkit never writes through them. When a
 * hierarchy is mounted twice the first mount wins.
 */
export function v1Hierarchies(mountTable: string, root: string): Hierarchy[] {
  const seen = new Set<string>();
  const out: Hierarchy[] = [];
  for (const m of parseCgroupMounts(mountTable)) {
    if (m.fstype !== 'cgroup' || !isWithin(root, m.mountPoint)) continue;
    const controllers = V1_CONTROLLERS.filter((c) => m.options.includes(c) && !seen.has(c));
    if (controllers.length === 0) continue;
    controllers.forEach((c) => seen.add(c));
    out.push({ controllers, mountPoint: m.mountPoint, root: m.root });
  }
  return out;
}

/** Where a cgroup2 (unified) filesystem is mounted at or under `root`, the first one; undefined when none is. */
export function unifiedMountPoint(mountTable: string, root: string): string | undefined {
  return parseCgroupMounts(mountTable).find((m) => m.fstype === 'cgroup2' && isWithin(root, m.mountPoint))?.mountPoint;
}

/** True when a cgroup2 (unified) filesystem is mounted at or under `root`. */
export function hasUnifiedMount(mountTable: string, root: string): boolean {
  return parseCgroupMounts(mountTable).some((m) => m.fstype === 'cgroup2' && isWithin(root, m.mountPoint));
}
