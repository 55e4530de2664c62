/**
 * e2fsprogs on a VE's image: make it (mkfs.ext4), read its superblock (dumpe2fs -h),
 * check it (e2fsck) and resize it (resize2fs), offline on the file or online on the
 * mounted loop device.
 */
import type { Host } from '@vzkit/core';
import { quotaError, type QuotaErrorCode } from './errors.js';
import { BLOCK_SIZE, inodeCount, nextImageBlocks, type ImagePlan } from './plan.js';
import { runTool } from './tools.js';

/** The superblock fields vzkit reads. */
export interface Superblock {
  blockCount: number;
  /** Blocks ext4 keeps for itself; statfs's size is blockCount - overhead. */
  overhead: number;
  freeBlocks: number;
  inodeCount: number;
  freeInodes: number;
  blockSize: number;
  features: string[];
  /** `clean`, `not clean`, `clean with errors` ... */
  state: string;
}

/** Parses `dumpe2fs -h`; undefined when the text is not a superblock listing. */
export function parseDumpe2fs(text: string): Superblock | undefined {
  const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(text)?.[1]?.trim();
  const num = (name: string) => {
    const v = field(name);
    return v === undefined || !/^\d+$/.test(v) ? undefined : Number(v);
  };
  const blockCount = num('Block count');
  const freeBlocks = num('Free blocks');
  const inodeCountField = num('Inode count');
  const freeInodes = num('Free inodes');
  const blockSize = num('Block size');
  if (blockCount === undefined || freeBlocks === undefined || inodeCountField === undefined || freeInodes === undefined || blockSize === undefined) return undefined;
  // e2fsprogs before 1.46 does not record the overhead: a fresh filesystem's used blocks
  // are all overhead but for the root directory and lost+found (4 blocks of 4 KiB).
  const overhead = num('Overhead clusters') ?? blockCount - freeBlocks - 5;
  return {
    blockCount, overhead, freeBlocks, inodeCount: inodeCountField, freeInodes, blockSize,
    features: (field('Filesystem features') ?? '').split(/\s+/).filter(Boolean),
    state: field('Filesystem state') ?? 'unknown',
  };
}

export async function readSuperblock(host: Host, image: string, what: string, code: QuotaErrorCode, about?: string): Promise<Superblock> {
  const r = await runTool(host, ['dumpe2fs', '-h', image], { what, code, about });
  const sb = parseDumpe2fs(r.stdout);
  if (!sb) throw quotaError(code, `${what}: dumpe2fs -h ${image} printed no superblock`, { about });
  return sb;
}

/** mkfs.ext4's arguments for an image of `blocks` blocks. */
export function mkfsArgv(image: string, plan: ImagePlan, blocks: number, opts: { label: string; quota: boolean }): string[] {
  const argv = ['mkfs.ext4', '-q', '-F', '-b', String(BLOCK_SIZE), '-I', '256', '-m', '0', '-N', String(inodeCount(plan.inodes, blocks)), '-L', opts.label];
  if (plan.journal === undefined) argv.push('-O', '^has_journal');
  else argv.push('-J', `size=${(plan.journal * BLOCK_SIZE) / 2 ** 20}`);
  // Quota inodes (usrquota, grpquota) only where the kernel can mount them: one without
  // CONFIG_QFMT_V2 refuses the whole filesystem.
  if (opts.quota) argv.push('-O', 'quota', '-E', 'quotatype=usrquota:grpquota,lazy_itable_init=1,lazy_journal_init=1,nodiscard');
  // A new sparse file reads as zeros: no need to write inode tables or the journal.
  else argv.push('-E', 'lazy_itable_init=1,lazy_journal_init=1,nodiscard');
  argv.push(image, String(blocks));
  return argv;
}

/**
 * Makes the image: a sparse file and an ext4 filesystem on it whose statfs size is the
 * plan's, to the block (mkfs, measure the overhead, make it again the right size: a few
 * milliseconds each on an empty sparse file).
 */
export async function makeImage(host: Host, image: string, plan: ImagePlan, opts: { label: string; quota: boolean; what: string; about?: string }): Promise<Superblock> {
  let blocks = plan.imageBlocks;
  for (let attempt = 0; ; attempt++) {
    await host.fs.writeFile(image, '', { mode: 0o600 });
    await host.fs.truncate(image, blocks * BLOCK_SIZE);
    await runTool(host, mkfsArgv(image, plan, blocks, opts), { what: opts.what, code: 'QUOTA_INIT', about: opts.about });
    const sb = await readSuperblock(host, image, opts.what, 'QUOTA_INIT', opts.about);
    const next = nextImageBlocks(plan.visible, sb.blockCount, sb.overhead);
    if (next === undefined || attempt >= 4) return sb;
    blocks = next;
  }
}

/**
 * Offline: the unmounted image to `visible` statfs blocks (grow or shrink), after the
 * full check resize2fs insists on. A shrink below what the files take fails in
 * resize2fs and leaves the image as it was.
 */
export async function resizeOffline(host: Host, image: string, visible: number, what: string, about?: string): Promise<Superblock> {
  await runTool(host, ['e2fsck', '-f', '-p', image], { what, code: 'QUOTA_SET', ok: [1], about });
  let sb = await readSuperblock(host, image, what, 'QUOTA_SET', about);
  for (let attempt = 0; attempt < 4; attempt++) {
    const next = nextImageBlocks(visible, sb.blockCount, sb.overhead);
    if (next === undefined) break;
    if (next > sb.blockCount) await host.fs.truncate(image, next * BLOCK_SIZE);
    await runTool(host, ['resize2fs', image, String(next)], { what, code: 'QUOTA_SET', about });
    if (next < sb.blockCount) await host.fs.truncate(image, next * BLOCK_SIZE);
    sb = await readSuperblock(host, image, what, 'QUOTA_SET', about);
  }
  return sb;
}

/**
 * Online: the mounted image grows to `visible` statfs blocks — the file, then the loop
 * device (LOOP_SET_CAPACITY), then the filesystem (resize2fs on the device, which needs
 * CAP_SYS_RESOURCE). `mountpoint` is where statfs reads the result.
 */
export async function growOnline(host: Host, image: string, device: string, mountpoint: string, visible: number, what: string, about?: string): Promise<void> {
  for (let attempt = 0; attempt < 4; attempt++) {
    const st = await host.fs.statfs(mountpoint);
    if (st.blocks >= visible) return;
    const size = (await host.fs.stat(image))?.size ?? 0;
    const blocks = Math.floor(size / BLOCK_SIZE) + (visible - st.blocks);
    await host.fs.truncate(image, blocks * BLOCK_SIZE);
    await host.mounts.refreshLoop(device);
    await runTool(host, ['resize2fs', device, String(blocks)], { what, code: 'QUOTA_SET', about });
  }
}
