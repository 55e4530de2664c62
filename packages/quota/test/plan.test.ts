import { describe, expect, it } from 'vitest';
import { imagePlan, inodeCount, journalBlocks, limitBlocks, mkfsArgv, nextImageBlocks, reservedClusters, roomBlocks } from '../src/index.js';

describe('image sizes', () => {
  it('the limit in 4 KiB blocks, rounded up', () => {
    expect(limitBlocks(61440)).toBe(15360);
    expect(limitBlocks(61441)).toBe(15361);
  });

  it('journals follow e2fsprogs, from the limit', () => {
    expect(journalBlocks(1000)).toBeUndefined();
    expect(journalBlocks(15360)).toBe(1024);
    expect(journalBlocks(600_000)).toBe(16384);
    expect(journalBlocks(2 ** 26)).toBe(262144);
  });

  it('inodes per group are whole 16-inode blocks, rounded down, so the total stays within the limit', () => {
    expect(inodeCount(5000, 15360)).toBe(5008); // one group: (5000 + 11) / 16 → 313 blocks
    expect(inodeCount(2000, 313_344)).toBe(1920); // ten groups of 192
    expect(inodeCount(10, 15360)).toBe(16);
    for (const [n, blocks] of [[2000, 313_344], [131072, 600_000], [3, 32768 * 40]] as const) {
      expect(inodeCount(n, blocks)).toBeLessThanOrEqual(Math.max(n + 11, 16 * Math.ceil(blocks / 32768)));
    }
  });

  it('exact mode aims statfs at the limit; room mode at four times it, at least 1 GiB more', () => {
    const exact = imagePlan('exact', 61440, 2000);
    expect(exact).toMatchObject({ mode: 'exact', visible: 15360, inodes: 2000, journal: 1024 });
    expect(exact.imageBlocks).toBeGreaterThan(exact.visible);
    expect(imagePlan('room', 61440, undefined).visible).toBe(roomBlocks(15360));
    expect(roomBlocks(15360)).toBe(15360 + 262144);
    expect(roomBlocks(2 ** 20)).toBe(2 ** 22);
    // Without DISKINODES: mke2fs's own ratio of one inode per 16 KiB of the limit.
    expect(imagePlan('exact', 61440, undefined).inodes).toBe(3840);
  });

  it('corrects the size from the overhead mkfs reports until statfs shows the limit', () => {
    expect(nextImageBlocks(15360, 16400, 1040)).toBeUndefined();
    expect(nextImageBlocks(15360, 16384, 1348)).toBe(16708);
  });

  it('room mode reserves all but the limit, keeping ext4\'s own 2 % reserve below it', () => {
    expect(reservedClusters(277_000, 15360)).toBe(277_000 - 15360 + 307);
    expect(reservedClusters(15360, 15360)).toBe(307);
    expect(reservedClusters(10_000_000, 2 ** 21)).toBe(10_000_000 - 2 ** 21 + 4096);
  });

  it('mkfs gets 4 KiB blocks, 256-byte inodes, no root reserve, the journal for the limit, a lazy sparse image', () => {
    const plan = imagePlan('exact', 61440, 2000);
    expect(mkfsArgv('/p/disk.img', plan, 16708, { label: 'vzkit-101', quota: false })).toEqual([
      'mkfs.ext4', '-q', '-F', '-b', '4096', '-I', '256', '-m', '0', '-N', '2000', '-L', 'vzkit-101', '-J', 'size=4',
      '-E', 'lazy_itable_init=1,lazy_journal_init=1,nodiscard', '/p/disk.img', '16708',
    ]);
    const withQuota = mkfsArgv('/p/disk.img', imagePlan('exact', 4096, 100), 2000, { label: 'x', quota: true });
    expect(withQuota).toEqual(expect.arrayContaining(['^has_journal', 'quota']));
    expect(withQuota.join(' ')).toContain('quotatype=usrquota:grpquota');
  });
});
