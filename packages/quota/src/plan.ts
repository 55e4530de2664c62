/**
 * How a VE's ext4 image is sized, as pure functions. ext4 keeps part of its blocks for
 * itself (journal, bitmaps, inode tables: the "overhead" statfs leaves out), so the image
 * is the hard limit *plus* that overhead, measured after mkfs and corrected until
 * statfs's size is the hard limit to the block.
 *
 * Two modes, chosen at create by what the host lets vzkit do later:
 * - `exact`: the filesystem is the hard limit; it grows online with resize2fs, which the
 *   kernel allows only to a caller with CAP_SYS_RESOURCE. `df` inside shows the limit.
 * - `room`: for a vzctl without that capability. The image is made bigger (sparse: the
 *   room costs no disk until written) and the limit is held by the filesystem's
 *   reserved clusters (/sys/fs/ext4/DEV/reserved_clusters), which nobody, root included,
 *   may write into and which can be moved both ways on a mounted filesystem. `df` shows
 *   the room as the size; used and available space are exact.
 */

export const BLOCK_SIZE = 4096;
/** Blocks per group with 4 KiB blocks: the unit in which ext4 adds inodes as it grows. */
export const BLOCKS_PER_GROUP = 32768;
/** Inodes ext4 takes for itself (1-10) plus lost+found. */
export const RESERVED_INODES = 11;
/** Inodes per 4 KiB block of 256-byte inodes: inodes per group come in these steps. */
const INODES_PER_BLOCK = 16;

export type ImageMode = 'exact' | 'room';

/** The hard space limit in filesystem blocks (what statfs should call the size). */
export function limitBlocks(hardKb: number): number {
  return Math.ceil((hardKb * 1024) / BLOCK_SIZE);
}

/** Room mode's filesystem size: four times the limit, at least the limit + 1 GiB. */
export function roomBlocks(limit: number): number {
  return Math.max(4 * limit, limit + (2 ** 30) / BLOCK_SIZE);
}

/**
 * Journal blocks for a filesystem of `blocks`: e2fsprogs' own default
 * (ext2fs_default_journal_size), from the limit rather than the image so that room
 * mode does not get a journal for a size it never uses. Undefined: no journal (< 8 MiB).
 */
export function journalBlocks(blocks: number): number | undefined {
  if (blocks < 2048) return undefined;
  const steps: Array<[number, number]> = [
    [32768, 1024], [256 * 1024, 4096], [512 * 1024, 8192], [4096 * 1024, 16384],
    [8192 * 1024, 32768], [16384 * 1024, 65536], [32768 * 1024, 131072],
  ];
  for (const [below, journal] of steps) if (blocks < below) return journal;
  return 262144;
}

/** Default inodes when DISKINODES is not set: mke2fs's own ratio, one per 16 KiB of the limit. */
export function defaultInodes(limit: number): number {
  return Math.max(64, Math.floor((limit * BLOCK_SIZE) / 16384));
}

/**
 * The `-N` for mke2fs so that the filesystem has at most `inodes` + the reserved ones:
 * mke2fs rounds inodes per group *up* to whole inode-table blocks, so ask for a whole
 * number of blocks' worth per group, rounded down (at least one block's worth).
 */
export function inodeCount(inodes: number, fsBlocks: number): number {
  const groups = Math.max(1, Math.ceil(fsBlocks / BLOCKS_PER_GROUP));
  const perGroup = Math.max(INODES_PER_BLOCK, Math.floor((inodes + RESERVED_INODES) / groups / INODES_PER_BLOCK) * INODES_PER_BLOCK);
  return groups * perGroup;
}

/** What mkfs makes first; {@link nextImageBlocks} corrects it from what dumpe2fs then says. */
export interface ImagePlan {
  mode: ImageMode;
  /** Blocks statfs should report as the size. */
  visible: number;
  /** Size of the filesystem (and file) to make now, before the overhead is known. */
  imageBlocks: number;
  /** Inodes the filesystem should have (DISKINODES' hard limit, or mke2fs's default ratio). */
  inodes: number;
  journal: number | undefined;
}

/** Overhead mke2fs will take, guessed (the first mkfs measures it). */
function overheadGuess(visible: number, journal: number | undefined): number {
  const groups = Math.ceil(visible / BLOCKS_PER_GROUP);
  return (journal ?? 0) + groups * 64 + 64;
}

export function imagePlan(mode: ImageMode, hardKb: number, inodes: number | undefined): ImagePlan {
  const limit = limitBlocks(hardKb);
  const journal = journalBlocks(limit);
  const visible = mode === 'exact' ? limit : roomBlocks(limit);
  const imageBlocks = visible + overheadGuess(visible, journal);
  return { mode, visible, imageBlocks, inodes: inodes ?? defaultInodes(limit), journal };
}

/**
 * The size to try next after a filesystem of `blockCount` turned out to keep `overhead`
 * blocks; undefined when statfs's size is right. Growing adds groups and so overhead, so
 * callers loop a few times.
 */
export function nextImageBlocks(visible: number, blockCount: number, overhead: number): number | undefined {
  return blockCount - overhead === visible ? undefined : visible + overhead;
}

/**
 * Room mode: reserved clusters that hold writes at `limit` blocks on a filesystem of
 * `fsBlocks` (statfs's size), keeping the kernel's own reserve of an `exact` filesystem
 * that size (2 %, at most 4096 clusters) below the limit, as an exact image would.
 */
export function reservedClusters(fsBlocks: number, limit: number): number {
  return Math.max(0, fsBlocks - limit) + kernelReserve(limit);
}

/** ext4's default reserve (ext4_calculate_resv_clusters): 2 % of the blocks, at most 4096. */
export function kernelReserve(blocks: number): number {
  return Math.min(Math.floor(blocks / 50), 4096);
}
