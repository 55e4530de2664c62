import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { failure, fakeVe, type FakeVe } from '@vzkit/fake-host';
import { ioPlugin } from '../src/index.js';

let t: FakeVe;
afterEach(async () => {
  await t.cleanup();
});

const GROUP = 'vzkit/101';
const io = () => t.fake.cgroups.read(GROUP)?.io;
/** The fake's root filesystem is on vda1: the controllers take its disk, vda (254:0). */
const VDA = { major: 254, minor: 0 };

describe('io on cgroup v1 (blkio, mq-deadline: no weight file)', () => {
  it('limits the disk under the VE\'s files, reads and writes, from the start', async () => {
    t = await fakeVe([ioPlugin]);
    await t.create(101, { IOLIMIT: '2097152', IOPSLIMIT: '50' });
    await t.runtime.start(101);
    expect(io()?.limits).toEqual([{ ...VDA, readBps: 2097152, writeBps: 2097152, readIops: 50, writeIops: 50 }]);
  });

  it('--iolimit counts in MB/s without a suffix (vzctl) and is saved in bytes; live, and 0 removes the limit', async () => {
    t = await fakeVe([ioPlugin]);
    await t.create(101);
    await t.runtime.start(101);
    expect(io()).toBeUndefined();
    await t.runtime.set(101, [{ flag: 'iolimit', arg: '10' }], { save: true });
    expect(io()?.limits).toEqual([{ ...VDA, readBps: 10485760, writeBps: 10485760, readIops: null, writeIops: null }]);
    expect((await t.runtime.config(101)).raw('IOLIMIT')).toBe('10485760');
    await t.runtime.set(101, [{ flag: 'iolimit', arg: '512K' }]);
    expect(io()?.limits?.[0]?.writeBps).toBe(524288);
    await t.runtime.set(101, [{ flag: 'iolimit', arg: '0' }]);
    expect(io()?.limits).toEqual([]);
  });

  it('IOPRIO: the VE runs and a warning says no scheduler here shares by weight', async () => {
    t = await fakeVe([ioPlugin]);
    await t.create(101, { IOPRIO: '6', IOLIMIT: '1048576' });
    await t.runtime.start(101);
    expect(t.warnings.join('\n')).toMatch(/IOPRIO 6: not applied: cgroup vzkit\/101: no I\/O weight \(blkio.weight\)/);
    // The limits are written before the weight is refused.
    expect(io()?.limits).toHaveLength(1);
    expect(io()?.weight).toBeUndefined();
  });

  it('throttles the loop device of an image the private area leads into (disk quota) beside the disk of the private area', async () => {
    t = await fakeVe([ioPlugin]);
    await t.create(101, { IOLIMIT: '1048576' });
    const priv = join(t.runtime.paths.private, '101');
    await t.fake.fs.writeFile(join(priv, 'disk.img'), '');
    await t.fake.fs.truncate(join(priv, 'disk.img'), 4 * 1024 * 1024);
    t.fake.formatImage(join(priv, 'disk.img'), 'ext4', { blockSize: 4096, blocks: 1024, files: 256 });
    await t.fake.fs.mkdir(join(priv, 'disk'));
    await t.fake.mounts.mount({ source: join(priv, 'disk.img'), target: join(priv, 'disk'), fstype: 'ext4', loop: true });
    await t.fake.fs.mkdir(join(priv, 'disk/fs'));
    await t.fake.fs.symlink('disk/fs', join(priv, 'fs'));
    await t.runtime.start(101);
    expect(io()?.limits?.map((l) => `${l.major}:${l.minor}`).sort()).toEqual(['254:0', '7:0']);
    await t.runtime.stop(101, { fast: true });
    await t.fake.mounts.umount(join(priv, 'disk'));
  });

  it('refuses IOPRIO outside 0-7 and a malformed rate, naming the key', async () => {
    t = await fakeVe([ioPlugin]);
    await t.create(101);
    expect((await failure(t.runtime.set(101, [{ flag: 'ioprio', arg: '8' }], { save: true }))).message)
      .toBe('CT 101: invalid value for IOPRIO (--ioprio): 8 is out of range 0..7');
    expect((await failure(t.runtime.set(101, [{ flag: 'iolimit', arg: '10X' }], { save: true }))).message)
      .toBe("CT 101: invalid value for --iolimit: '10X' is not a rate: N with an optional B, K, M or G suffix, or unlimited");
  });
});

describe('io on cgroup v2 (io.weight)', () => {
  it('writes the weight of OpenVZ\'s table (4 is the default 100) and takes it back to the default, live', async () => {
    t = await fakeVe([ioPlugin], { cgroupVersion: 2 });
    await t.create(101, { IOPRIO: '7' });
    await t.runtime.start(101);
    expect(io()?.weight).toBe(128);
    await t.runtime.set(101, [{ flag: 'ioprio', arg: '0' }]);
    expect(io()?.weight).toBe(64);
    await t.runtime.set(101, [{ key: 'IOPRIO', value: undefined }]);
    expect(io()?.weight).toBeNull();
    expect(t.warnings).toEqual([]);
  });
});
