/**
 * OpenVZ's disk I/O keys: IOPRIO (0-7, the VE's share of disk time), IOLIMIT (bytes per
 * second; `--iolimit` counts in MB/s unless a suffix says otherwise) and IOPSLIMIT
 * (operations per second). 0 or `unlimited` is no limit. All change live.
 */
import { defineKey, integer, parseSize, ValueError, type EditFlag, type ValueType } from '@vzkit/core';

/**
 * The blkio weights OpenVZ's kernel gave ioprio 0..7 (CFQ scale, 500 = the default),
 * divided by 5 onto cgroup v2's scale (100 = the default): 4 is every VE's default share.
 */
export const IOPRIO_WEIGHTS = [64, 73, 82, 92, 100, 110, 120, 128] as const;

export const IOPRIO = defineKey<number>({
  name: 'IOPRIO',
  type: integer({ min: 0, max: 7 }),
  description: 'Share of disk time against the other VEs, 0 (least) to 7 (most); 4 is the default',
  live: true,
  flag: 'ioprio',
});

/** A rate: a whole number with an optional B, K, M or G suffix (1024-based), 0 or unlimited = none. */
function rate(raw: string, bareUnit: number): number {
  const s = raw.trim();
  if (s === 'unlimited') return 0;
  if (!/^\d+(\.\d+)?[BKMG]?$/i.test(s)) throw new ValueError(`'${raw}' is not a rate: N with an optional B, K, M or G suffix, or unlimited`);
  const bytes = /[BKMG]$/i.test(s) ? parseSize(s, 'bytes') : Number(s) * bareUnit;
  if (!Number.isSafeInteger(Math.floor(bytes))) throw new ValueError(`'${raw}' is too large`);
  return Math.floor(bytes);
}

/** In the config, as vzctl writes it: bytes per second. */
const bytesPerSecond: ValueType<number> = {
  arg: 'BYTES/s',
  parse: (raw) => rate(raw, 1),
  format: (v) => String(v),
};

/** `--iolimit 10` is 10 MB/s (vzctl's default unit); `--iolimit 512K` says its own. */
const iolimitFlag: EditFlag<number> = {
  flag: 'iolimit',
  arg: 'N[B|K|M|G]',
  description: 'Disk bandwidth limit per second for reads and for writes, in MB unless a suffix says otherwise; 0 = none',
  apply: (_current, arg) => rate(arg, 1024 * 1024),
};

export const IOLIMIT = defineKey<number>({
  name: 'IOLIMIT',
  type: bytesPerSecond,
  description: 'Disk bandwidth limit, bytes per second for reads and for writes (0 = none)',
  live: true,
  editFlags: [iolimitFlag],
});

export const IOPSLIMIT = defineKey<number>({
  name: 'IOPSLIMIT',
  type: integer({ min: 0, unlimited: true }),
  description: 'Disk operations per second for reads and for writes (0 or unlimited = none)',
  live: true,
  flag: 'iopslimit',
});

export const IO_KEYS = [IOPRIO, IOLIMIT, IOPSLIMIT] as const;
