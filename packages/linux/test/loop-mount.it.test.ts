/**
 * `loop` mounts, statfs and truncate on the real kernel (root): an ext4 image is mounted
 * through an autoclear loop device that is gone once the filesystem is unmounted or the
 * mount fails, and it grows online after truncate + refreshLoop + resize2fs.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LinuxHostFs } from '../src/fs.js';
import { LinuxMountService } from '../src/mounts.js';

const fs = new LinuxHostFs();
const mounts = new LinuxMountService();
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vzkit-loop-'));
});
afterEach(async () => {
  if (await mounts.isMountPoint(join(dir, 'mnt'))) await mounts.umount(join(dir, 'mnt'));
  await rm(dir, { recursive: true, force: true });
});

/** Loop devices whose backing file is `file`. */
function loopsOf(file: string): string[] {
  return execFileSync('losetup', ['-j', file]).toString().split('\n').filter(Boolean).map((l) => l.split(':')[0]!);
}

async function image(size: number): Promise<string> {
  const img = join(dir, 'disk.img');
  await writeFile(img, '');
  await fs.truncate(img, size);
  execFileSync('mkfs.ext4', ['-q', '-F', '-m', '0', img]);
  await mkdir(join(dir, 'mnt'));
  return img;
}

describe('loop mounts', () => {
  it('mounts an image on an autoclear loop device that goes with the unmount', async () => {
    const img = await image(32 * 2 ** 20);
    expect((await fs.stat(img))?.size).toBe(32 * 2 ** 20);
    await mounts.mount({ source: img, target: join(dir, 'mnt'), fstype: 'ext4', loop: true });
    const entry = (await mounts.list()).find((e) => e.target === join(dir, 'mnt'))!;
    expect(entry.source).toMatch(/^\/dev\/loop\d+$/);
    expect(loopsOf(img)).toEqual([entry.source]);
    const st = await fs.statfs(join(dir, 'mnt'));
    expect(st.type).toBe('ext4');
    expect(st.blockSize * st.blocks).toBeGreaterThan(20 * 2 ** 20);
    expect(st.blocks * st.blockSize).toBeLessThanOrEqual(32 * 2 ** 20);
    await mounts.umount(join(dir, 'mnt'));
    expect(loopsOf(img)).toEqual([]);
  });

  it('leaves no loop device when the mount fails', async () => {
    const img = await image(16 * 2 ** 20);
    await expect(mounts.mount({ source: img, target: join(dir, 'mnt'), fstype: 'btrfs', loop: true })).rejects.toMatchObject({ code: 'MOUNT_FAILED' });
    expect(loopsOf(img)).toEqual([]);
  });

  /** ext4 grows online only for a caller with CAP_SYS_RESOURCE (the quota's `exact` images rely on it). */
  const capSysResource = ((BigInt(`0x${/^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]}`) >> 24n) & 1n) === 1n;

  it('grows online: truncate, refreshLoop, resize2fs (refused without CAP_SYS_RESOURCE, as the quota expects)', async () => {
    const img = await image(32 * 2 ** 20);
    await mounts.mount({ source: img, target: join(dir, 'mnt'), fstype: 'ext4', loop: true });
    const before = await fs.statfs(join(dir, 'mnt'));
    const device = (await mounts.list()).find((e) => e.target === join(dir, 'mnt'))!.source;
    await fs.truncate(img, 64 * 2 ** 20);
    await mounts.refreshLoop(device);
    expect(Number(readFileSync(`/sys/block/${device.slice(5)}/size`, 'utf8')) * 512).toBe(64 * 2 ** 20);
    if (!capSysResource) {
      expect(() => execFileSync('resize2fs', [device], { stdio: 'pipe' })).toThrow(/Permission denied to resize filesystem/);
      return;
    }
    execFileSync('resize2fs', [device], { stdio: 'ignore' });
    const after = await fs.statfs(join(dir, 'mnt'));
    expect(after.blocks - before.blocks).toBeGreaterThan((30 * 2 ** 20) / after.blockSize);
    expect(existsSync(img)).toBe(true);
  });
});
