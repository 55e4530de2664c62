import { describe, expect, it } from 'vitest';
import { FakeHost } from '../src/index.js';

const MiB = 2 ** 20;

async function imageMounted(fake: FakeHost, blocks = 2560, files = 100): Promise<void> {
  fake.fs.seed('/img/disk.img', '');
  await fake.fs.truncate('/img/disk.img', 16 * MiB);
  fake.formatImage('/img/disk.img', 'ext4', { blockSize: 4096, blocks, files });
  fake.fs.seedDir('/mnt');
  await fake.mounts.mount({ source: '/img/disk.img', target: '/mnt', fstype: 'ext4', loop: true, data: 'usrquota' });
}

describe('FakeHost disks: images, loop mounts, statfs', () => {
  it('truncate grows a file by a hole: its size, not its blocks', async () => {
    const fake = new FakeHost();
    fake.fs.seed('/f', 'abc');
    await fake.fs.truncate('/f', 10 * MiB);
    expect((await fake.fs.stat('/f'))?.size).toBe(10 * MiB);
    await fake.fs.truncate('/f', 2);
    expect(fake.fs.read('/f')).toBe('ab');
  });

  it('a loop mount shows the image\'s filesystem on /dev/loopN, sized, and full is ENOSPC', async () => {
    const fake = new FakeHost();
    await imageMounted(fake);
    expect(fake.loopDevices()).toEqual([{ device: '/dev/loop0', file: '/img/disk.img', size: 16 * MiB }]);
    expect(fake.hostMounts().find((m) => m.target === '/mnt')).toMatchObject({ source: '/dev/loop0', fstype: 'ext4' });
    expect(await fake.fs.statfs('/mnt')).toMatchObject({ type: 'ext4', blockSize: 4096, blocks: 2560, files: 100 });
    await fake.fs.writeFile('/mnt/a', new Uint8Array(8 * MiB));
    await expect(fake.fs.writeFile('/mnt/b', new Uint8Array(4 * MiB))).rejects.toMatchObject({ code: 'ENOSPC' });
    expect((await fake.fs.statfs('/mnt')).blocksFree).toBe(2560 - 2048 - 2);
  });

  it('ext4 reserved clusters in sysfs hold writes, and the device goes with the unmount (autoclear)', async () => {
    const fake = new FakeHost();
    await imageMounted(fake);
    expect(fake.fs.read('/sys/fs/ext4/loop0/reserved_clusters').trim()).toBe('51');
    expect(fake.fs.read('/sys/block/loop0/dev').trim()).toBe('7:0');
    await fake.fs.writeFile('/sys/fs/ext4/loop0/reserved_clusters', '2000');
    expect((await fake.fs.statfs('/mnt')).blocksAvailable).toBe(2560 - 2 - 2000);
    await expect(fake.fs.writeFile('/mnt/a', new Uint8Array(4 * MiB))).rejects.toMatchObject({ code: 'ENOSPC' });
    await fake.mounts.umount('/mnt');
    expect(fake.loopDevices()).toEqual([]);
    expect(await fake.fs.exists('/sys/fs/ext4/loop0')).toBe(false);
  });

  it('refuses an image without that filesystem, and refreshLoop takes the file\'s new size', async () => {
    const fake = new FakeHost();
    await imageMounted(fake);
    await expect(fake.mounts.mount({ source: '/img/disk.img', target: '/tmp', fstype: 'btrfs', loop: true })).rejects.toMatchObject({ code: 'MOUNT_FAILED', errno: 'EINVAL' });
    await fake.fs.truncate('/img/disk.img', 32 * MiB);
    await fake.mounts.refreshLoop('/dev/loop0');
    expect(fake.loopDevices()[0]!.size).toBe(32 * MiB);
  });

  it('an overlay keeps a whiteout when a file made over one is removed again', async () => {
    const fake = new FakeHost();
    fake.fs.seedLink('/lower/etc/mtab', '/proc/mounts');
    fake.fs.seedDir('/upper');
    fake.fs.seedDir('/work');
    fake.fs.seedDir('/merged');
    await fake.mounts.mount({ source: 'overlay', target: '/merged', fstype: 'overlay', data: 'lowerdir=/lower,upperdir=/upper,workdir=/work' });
    await fake.fs.remove('/merged/etc/mtab');
    await fake.fs.writeFile('/merged/etc/mtab', 'x');
    await fake.fs.remove('/merged/etc/mtab');
    expect(await fake.fs.exists('/merged/etc/mtab')).toBe(false);
    await fake.fs.symlink('/proc/mounts', '/merged/etc/mtab');
    expect(await fake.fs.readlink('/merged/etc/mtab')).toBe('/proc/mounts');
  });
});
