/**
 * The io controller on a real cgroup v2 kernel (the Debian guest of scripts/vm; skipped
 * anywhere else): IOLIMIT in io.max on the loop device under the VE's private area,
 * a direct-I/O dd inside measured against it, live changes; IOPRIO in io.weight.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { linuxVe, unifiedHost, type LinuxVe } from '@vzkit/linux/testing';
import { ioPlugin } from '../src/index.js';

let t: LinuxVe;
let disk: string;
beforeEach(async () => {
  if (!unifiedHost()) return;
  t = await linuxVe([ioPlugin]);
  // The guest's / is 9p over tmpfs: the VE's files get a disk of their own, an ext4 image on a loop device.
  disk = mkdtempSync(join(tmpdir(), 'vzkit-io-disk-'));
  execFileSync('truncate', ['-s', '64M', `${disk}.img`]);
  execFileSync('mkfs.ext4', ['-q', '-F', `${disk}.img`]);
  await t.host.mounts.mount({ source: `${disk}.img`, target: disk, fstype: 'ext4', loop: true });
});
afterEach(async () => {
  await t?.cleanup();
  if (disk && existsSync(disk)) {
    await t.host.mounts.umount(disk).catch(() => undefined);
    execFileSync('rm', ['-rf', disk, `${disk}.img`]);
  }
});

/** The VE's group: linuxVe puts VEs under a parent of its own below our cgroup (the guest's root). */
function cgroupDir(ctid: number): string {
  const parent = readdirSync('/sys/fs/cgroup').find((d) => d.startsWith('vzkit-test-') && existsSync(join('/sys/fs/cgroup', d, String(ctid))));
  if (!parent) throw new Error(`no cgroup of CT ${ctid}`);
  return join('/sys/fs/cgroup', parent, String(ctid));
}

describe.skipIf(!unifiedHost())('io on cgroup v2', () => {
  it('limits the VE\'s disk in io.max, measured by a dd inside; live back to none', async () => {
    const ctid = await t.create('exec sleep 600', { VE_PRIVATE: join(disk, '$VEID'), IOLIMIT: '1048576' });
    await t.runtime.start(ctid);
    const [dev] = await t.host.fs.disks(join(disk, String(ctid)));
    expect(dev?.name).toMatch(/^loop\d+$/);
    const ioMax = () => readFileSync(join(cgroupDir(ctid), 'io.max'), 'utf8');
    expect(ioMax()).toBe(`${dev!.major}:${dev!.minor} rbps=1048576 wbps=1048576 riops=max wiops=max\n`);
    // Timed inside the VE, so the exec's own start (slow in the guest) is not counted:
    // 2 MiB at 1 MiB/s takes 2 s; unlimited, a fraction of it.
    const dd = async () => {
      const out = join(disk, String(ctid), 'dd.out');
      const r = await t.sh(ctid, `s=$(date +%s%N); dd if=/dev/zero of=${out} bs=64k count=32 oflag=direct 2>/dev/null || exit 1; e=$(date +%s%N); echo $(( (e - s) / 1000000 ))`);
      expect(r.code, r.stdout).toBe(0);
      return Number(r.stdout?.trim()) / 1000;
    };
    expect(await dd()).toBeGreaterThan(1.4);
    await t.runtime.set(ctid, [{ flag: 'iolimit', arg: '0' }]);
    expect(ioMax()).toBe('');
    expect(await dd()).toBeLessThan(1);
  });

  it('IOPRIO is the io.weight of OpenVZ\'s table where the kernel has io.cost', async () => {
    const ctid = await t.create('exec sleep 600', { IOPRIO: '7' });
    await t.runtime.start(ctid);
    const dir = cgroupDir(ctid);
    if (existsSync(join(dir, 'io.weight'))) {
      expect(readFileSync(join(dir, 'io.weight'), 'utf8')).toBe('default 128\n');
      await t.runtime.set(ctid, [{ flag: 'ioprio', arg: '4' }]);
      expect(readFileSync(join(dir, 'io.weight'), 'utf8')).toBe('default 100\n');
    } else {
      expect(t.warnings.join('\n')).toContain('IOPRIO 7: not applied');
    }
  });
});
