/**
 * What every first-level backend does, and the record that says which one a VE has
 * (`VE_PRIVATE/quota.json`, written when its disk is made). The record lives in the
 * private area so that the area stays self-describing when it moves.
 */
import { join } from 'node:path';
import { type HookContext } from '@vzkit/core';
import type { QuotaLimits } from './config.js';
import type { ImageMode } from './plan.js';

export type BackendName = 'image' | 'btrfs' | 'project';

/** Persisted while the VE's quota is on: what `umount` must undo after a crash. */
export interface QuotaState {
  /** The image's mount point, recorded before the mount. */
  mounted?: string;
}

/**
 * Whether a step records what it mounts in the plugin's state: in the lifecycle's hooks
 * it does (the operation's intent record); a quota command on a stopped VE has no record
 * to write to, and what it leaves is found again from the files (`settle`).
 */
export interface MountOptions {
  record: boolean;
}

export type QuotaCtx = HookContext<QuotaState>;

/** `VE_PRIVATE/quota.json`. */
export interface QuotaRecord {
  backend: BackendName;
  /** image: how the image was sized (plan.ts). */
  mode?: ImageMode;
  /** project: the project id (the CTID). */
  project?: number;
  /** image: made with ext4's quota feature (second level possible). */
  ugid?: boolean;
}

/** Usage and the limits the backend holds now, in 1 KiB blocks and inodes. */
export interface QuotaUsage {
  spaceUsed: number;
  /** Undefined where the backend does not count inodes (btrfs). */
  inodesUsed: number | undefined;
  /** The limits in force (may differ from the config: image inodes come in groups). */
  spaceLimit: number | undefined;
  inodesLimit: number | undefined;
  /** Kernel grace deadlines (project quota), epoch seconds. */
  spaceGraceEnds?: number;
  inodesGraceEnds?: number;
}

/** What a backend can honestly hold; the rest is refused or reported as not enforced. */
export interface BackendTraits {
  /** Human name for `vzquota stat` and messages. */
  title: string;
  inodes: boolean;
  /** The space soft limit turns hard once QUOTATIME has passed (by the kernel or by vzkit). */
  soft: boolean;
  /** The same for the inode soft limit. */
  softInodes: boolean;
  /** The kernel keeps the grace clock (project quota); otherwise vzkit does (grace.ts). */
  kernelGrace: boolean;
  /** `df` inside shows the limit as the size. */
  df: boolean;
}

export interface QuotaBackend {
  readonly name: BackendName;
  traits(record: QuotaRecord): BackendTraits;
  /** create: make the VE's disk with the limits. */
  setup(ctx: QuotaCtx, limits: QuotaLimits): Promise<QuotaRecord>;
  /** mount/start: turn the quota on (before ns-fs mounts the root on it). */
  attach(ctx: QuotaCtx, record: QuotaRecord, limits: QuotaLimits, opts?: MountOptions): Promise<void>;
  /** umount/stop: turn it off. Idempotent; also runs after a crash. */
  detach(ctx: QuotaCtx, record: QuotaRecord): Promise<void>;
  /** set on a running VE: the new limits, live. */
  apply(ctx: QuotaCtx, record: QuotaRecord, limits: QuotaLimits, before: QuotaLimits): Promise<void>;
  /** Usage; `running` false: of a stopped VE, where the backend can read it offline. */
  usage(ctx: QuotaCtx, record: QuotaRecord, running: boolean): Promise<QuotaUsage | undefined>;
  /**
   * Holds the space at `softKb` (the soft limit whose grace period is over), or back at
   * the hard limit of `limits` when undefined; the quota must be on. Backends whose
   * kernel keeps the grace itself do nothing.
   */
  hold(ctx: QuotaCtx, record: QuotaRecord, limits: QuotaLimits, softKb: number | undefined): Promise<void>;
  /** destroy: remove what setup made and is left. Idempotent. */
  remove(ctx: QuotaCtx, record: QuotaRecord | undefined): Promise<void>;
}

export function recordPath(priv: string): string {
  return join(priv, 'quota.json');
}

export async function readRecord(ctx: QuotaCtx): Promise<QuotaRecord | undefined> {
  const path = recordPath(ctx.ve.paths.private);
  if (!(await ctx.host.fs.exists(path))) return undefined;
  try {
    const r = JSON.parse(await ctx.host.fs.readFile(path)) as QuotaRecord;
    return r && (r.backend === 'image' || r.backend === 'btrfs' || r.backend === 'project') ? r : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Written whole under another name and renamed into place: the record is the commit point
 * of a conversion (its files are on the disk once it exists), so a killed write must not
 * leave half of one.
 */
export async function writeRecord(ctx: QuotaCtx, record: QuotaRecord): Promise<void> {
  const path = recordPath(ctx.ve.paths.private);
  await ctx.host.fs.writeFile(`${path}.new`, `${JSON.stringify(record)}\n`, { mode: 0o600 });
  await ctx.host.fs.rename(`${path}.new`, path);
}

/** The record goes: the VE has no quota'd disk any more (the commit of a conversion back). */
export async function removeRecord(ctx: QuotaCtx): Promise<void> {
  const path = recordPath(ctx.ve.paths.private);
  if (await ctx.host.fs.exists(path)) await ctx.host.fs.remove(path);
}
