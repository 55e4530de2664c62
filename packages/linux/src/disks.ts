/**
 * Which block devices hold a path: what the I/O controllers (v1 blkio, v2 io) must name
 * to throttle a VE's disk. The kernel takes rules only for whole disks, so a partition
 * is traded for its disk; a filesystem on an anonymous device (btrfs, overlay, tmpfs)
 * is looked up in the mount table for the device it was mounted from.
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { BlockDevice } from '@vzkit/core';
import { readMountInfo } from './mounts.js';

/** glibc's dev_t layout (gnu_dev_major/minor): 12 bits of major and 20 of minor, split. */
export function decodeDev(dev: bigint): { major: number; minor: number } {
  return {
    major: Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn)),
    minor: Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn)),
  };
}

/** The disk of a block device by number, via sysfs; undefined when it is no block device. */
async function wholeDisk(major: number, minor: number, sys: string): Promise<BlockDevice | undefined> {
  const dir = await realpath(join(sys, 'dev/block', `${major}:${minor}`)).catch(() => undefined);
  if (dir === undefined) return undefined;
  const isPartition = await stat(join(dir, 'partition')).then(() => true, () => false);
  if (!isPartition) return { major, minor, name: basename(dir) };
  const disk = dirname(dir);
  const [maj, min] = (await readFile(join(disk, 'dev'), 'utf8')).trim().split(':').map(Number);
  return maj === undefined || min === undefined ? undefined : { major: maj, minor: min, name: basename(disk) };
}

/** The block device a filesystem on an anonymous device (major 0) was mounted from, by the mount table. */
async function mountSource(major: number, minor: number): Promise<{ major: number; minor: number } | undefined> {
  const entry = (await readMountInfo()).find((m) => m.device === `${major}:${minor}`);
  if (!entry?.source.startsWith('/dev/')) return undefined;
  const st = await stat(entry.source, { bigint: true }).catch(() => undefined);
  return st?.isBlockDevice() ? decodeDev(st.rdev) : undefined;
}

/** The whole disks holding `path` (after symlinks), for HostFs.disks. */
export async function disksOf(path: string, sys = '/sys'): Promise<BlockDevice[]> {
  const st = await stat(path, { bigint: true });
  let dev: { major: number; minor: number } | undefined = decodeDev(st.dev);
  if (dev.major === 0) dev = await mountSource(dev.major, dev.minor);
  if (dev === undefined) return [];
  const disk = await wholeDisk(dev.major, dev.minor, sys);
  return disk ? [disk] : [];
}
