/**
 * Config keys of the disk quota, as vzctl has them: DISKSPACE and DISKINODES
 * (`soft[:hard]`, space in 1 KiB blocks with K/M/G/T suffixes), QUOTATIME (grace
 * seconds), QUOTAUGIDLIMIT (second level on when > 0) and DISK_QUOTA (the switch); plus
 * QUOTA_BACKEND, vzkit's own, to pick a backend instead of detecting one.
 */
import { defineKey, integer, oneOf, parseSize, UNLIMITED, ValueError, yesNo, type ConfigView, type SizeUnit, type ValueType } from '@vzkit/core';

/** A soft and a hard limit; soft may be passed for the grace period, hard never. */
export interface SoftHard {
  soft: number;
  hard: number;
}

/**
 * `soft[:hard]` as vzctl parses DISKSPACE and DISKINODES: one value sets both, soft at
 * most hard. Written back always as `soft:hard`, as vzctl saves them. `unlimited` (the
 * whole value) means no limit: for DISKSPACE, no disk quota at all (a VE that has one is
 * moved off its disk at the next start).
 */
export function softHard(unit: Extract<SizeUnit, 'kb' | 'items'>): ValueType<SoftHard> {
  return {
    arg: unit === 'kb' ? 'SOFT[:HARD]|unlimited' : 'N[:N]|unlimited',
    parse(raw) {
      const parts = raw.trim().split(':');
      if (parts.length > 2 || parts.some((p) => p === '')) throw new ValueError(`'${raw}' is not soft[:hard]`);
      const values = parts.map((p) => parseSize(p, unit));
      const soft = values[0]!;
      const hard = values[1] ?? soft;
      if (soft === UNLIMITED && hard === UNLIMITED) return { soft, hard };
      // A soft limit needs a hard one above it: an image or a qgroup has a size.
      if (soft === UNLIMITED || hard === UNLIMITED) throw new ValueError(`'${raw}': 'unlimited' stands for the whole value (no limit at all), not for one half`);
      if (soft > hard) throw new ValueError(`soft limit ${soft} is above hard limit ${hard}`);
      return { soft, hard };
    },
    format: (v) => (v.hard === UNLIMITED ? 'unlimited' : `${v.soft}:${v.hard}`),
  };
}

/** A limit that holds something (not absent, not `unlimited`). */
export function limited(v: SoftHard | undefined): v is SoftHard {
  return v !== undefined && v.hard !== UNLIMITED;
}

export const DISKSPACE = defineKey<SoftHard>({
  name: 'DISKSPACE',
  type: softHard('kb'),
  description: 'Disk space: soft[:hard] in 1 KiB blocks (K, M, G, T suffixes); soft may be passed for QUOTATIME; unlimited: no disk quota',
  // A new limit on the VE's disk applies at once; a disk made or taken away (its files moved) waits for the next start.
  live: (before, after) => limited(before) === limited(after),
  flag: 'diskspace',
});

export const DISKINODES = defineKey<SoftHard>({
  name: 'DISKINODES',
  type: softHard('items'),
  description: 'Files and directories: soft[:hard] inodes; unlimited: no inode limit',
  live: true,
  flag: 'diskinodes',
});

/** vzctl passes 3 days when QUOTATIME is not set (QUOTA_EXPTIME). */
export const DEFAULT_QUOTATIME = 259200;

export const QUOTATIME = defineKey<number>({
  name: 'QUOTATIME',
  type: integer({ min: 0, max: 2 ** 31 - 1 }),
  default: DEFAULT_QUOTATIME,
  description: `Grace period in seconds during which usage may stay above a soft limit (default ${DEFAULT_QUOTATIME})`,
  live: true,
  flag: 'quotatime',
});

const on = (n: number | undefined) => (n ?? 0) > 0;

export const QUOTAUGIDLIMIT = defineKey<number>({
  name: 'QUOTAUGIDLIMIT',
  type: integer({ min: 0, max: 2 ** 31 - 1 }),
  default: 0,
  description: 'User/group quotas inside the VE (second level): number of uids+gids, 0 = off; on/off at the next start',
  // Another number applies at once; turning the second level on or off needs a restart (OpenVZ's rule).
  live: (before, after) => on(before) === on(after),
  flag: 'quotaugidlimit',
});

export const DISK_QUOTA = defineKey<boolean>({
  name: 'DISK_QUOTA',
  type: yesNo,
  default: true,
  description: 'Disk quota for the VE at all (no: DISKSPACE and DISKINODES are ignored)',
  live: false,
  flag: 'diskquota',
});

export const BACKEND_NAMES = ['auto', 'image', 'btrfs', 'project'] as const;
export type BackendChoice = (typeof BACKEND_NAMES)[number];

export const QUOTA_BACKEND = defineKey<BackendChoice>({
  name: 'QUOTA_BACKEND',
  type: oneOf(BACKEND_NAMES),
  default: 'auto',
  description: 'How the first level is held: auto (detected), image (ext4 on a loop device), btrfs (qgroup), project (ext4/xfs project quota); chosen at create',
  live: false,
  flag: 'quotabackend',
  scope: ['create'],
});

export const QUOTA_KEYS = [DISKSPACE, DISKINODES, QUOTATIME, QUOTAUGIDLIMIT, DISK_QUOTA, QUOTA_BACKEND] as const;

/** What the config asks of the quota; `space` undefined: no quota for this VE. */
export interface QuotaLimits {
  /** 1 KiB blocks. */
  space: SoftHard | undefined;
  inodes: SoftHard | undefined;
  /** Grace period in seconds. */
  grace: number;
  /** QUOTAUGIDLIMIT: second level wanted when > 0. */
  ugid: number;
}

const only = (v: SoftHard | undefined): SoftHard | undefined => (limited(v) ? v : undefined);

export function quotaLimits(config: ConfigView): QuotaLimits {
  const enabled = config.get(DISK_QUOTA) !== false;
  return {
    space: enabled ? only(config.get(DISKSPACE)) : undefined,
    inodes: enabled ? only(config.get(DISKINODES)) : undefined,
    grace: config.get(QUOTATIME) ?? DEFAULT_QUOTATIME,
    ugid: config.get(QUOTAUGIDLIMIT) ?? 0,
  };
}
