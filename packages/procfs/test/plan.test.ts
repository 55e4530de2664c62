import { describe, expect, it } from 'vitest';
import type { CgroupStats } from '@vzkit/core';
import { meminfoView, ownCgroupLines, renderMeminfo, renderSwaps, veinfoLine, veOfCgroup, vzDirOps } from '../src/index.js';

const MiB = 2 ** 20;
const HOST = [
  'MemTotal:        8388608 kB', 'MemFree:         4000000 kB', 'MemAvailable:    6000000 kB', 'Buffers:           77472 kB',
  'Cached:          1072812 kB', 'SwapCached:            0 kB', 'Active:           687352 kB', 'Inactive(anon):   304696 kB',
  'SwapTotal:        2097152 kB', 'SwapFree:         2097152 kB', 'Dirty:                72 kB', 'Shmem:             10304 kB',
  'VmallocTotal:   34359738367 kB', 'HugePages_Total:       0', '',
].join('\n');

type Memory = NonNullable<CgroupStats['memory']>;
const mem = (over: Partial<Memory> = {}): Memory => ({ usage: 64 * MiB, maxUsage: 64 * MiB, max: 256 * MiB, failcnt: 0, stat: {}, ...over });

describe('veinfoLine', () => {
  it("prints OpenVZ's %10u %5u %5u and each address as %15s or %39s", () => {
    expect(veinfoLine(101, 12, [])).toBe('       101     0    12\n');
    expect(veinfoLine(101, 3, ['10.0.0.1', '2001:db8::1/64'])).toBe(`       101     0     3 ${'10.0.0.1'.padStart(15)} ${'2001:db8::1'.padStart(39)}\n`);
  });
});

describe('which VE a process is in', () => {
  const ves = new Map([[101, ['8:pids:/vzkit/101', '4:memory:/vzkit/101']], [1011, ['8:pids:/vzkit/1011']]]);

  it("matches the VE's group and the groups it makes below, in the same hierarchy only", () => {
    expect(veOfCgroup('8:pids:/vzkit/101\n4:memory:/vzkit/101\n', ves)).toBe(101);
    expect(veOfCgroup('8:pids:/vzkit/101/init.scope\n', ves)).toBe(101);
    expect(veOfCgroup('8:pids:/vzkit/1011\n', ves)).toBe(1011);
    expect(veOfCgroup('8:pids:/vzkit/1012\n', ves)).toBeUndefined();
    expect(veOfCgroup('7:blkio:/vzkit/101\n', ves)).toBeUndefined();
    expect(veOfCgroup('8:pids:/\n0::/\n', ves)).toBeUndefined();
    expect(veOfCgroup('', ves)).toBeUndefined();
  });

  it("keeps only the lines of init's cgroups that name the VE's own group", () => {
    expect(ownCgroupLines('9:name=systemd:/\n8:pids:/test/vzkit/101\n1:cpu:/test/vzkit/101\n0::/process_api/x\n', 101))
      .toEqual(['8:pids:/test/vzkit/101', '1:cpu:/test/vzkit/101']);
    expect(ownCgroupLines('0::/vzkit/101\n', 101)).toEqual(['0::/vzkit/101']);
  });
});

describe('/proc/meminfo of a VE', () => {
  it('shows the RAM limit, free RAM and SWAPPAGES as swap; the rest stays the host\'s', () => {
    const text = renderMeminfo(HOST, mem({ swapUsage: 16 * MiB, swap: { usage: 16 * MiB, max: 512 * MiB }, stat: { total_cache: 8 * MiB, total_shmem: MiB, total_active_anon: 20 * MiB } }), 1);
    const lines = text.split('\n');
    expect(lines).toContain('MemTotal:         262144 kB');
    expect(lines).toContain('MemFree:          196608 kB');
    expect(lines).toContain('Cached:             8192 kB');
    expect(lines).toContain('Buffers:               0 kB');
    expect(lines).toContain('SwapTotal:        524288 kB');
    expect(lines).toContain('SwapFree:         507904 kB');
    expect(lines).toContain('Shmem:              1024 kB');
    expect(lines).toContain('VmallocTotal:   34359738367 kB');
    expect(lines).toContain('HugePages_Total:       0');
    expect(lines).toHaveLength(HOST.split('\n').length);
  });

  it("falls back on the host's RAM and swap where the VE has no limit, and never shows more RAM than the host has", () => {
    expect(meminfoView(HOST, mem({ max: null }), 2)).toMatchObject({ total: 8388608, free: 8388608 - 65536, swapTotal: 2097152 });
    expect(meminfoView(HOST, mem({ max: 64 * 2 ** 30, swap: { usage: 0, max: null } }), 2)).toMatchObject({ total: 8388608, swapTotal: 2097152 });
    // No swap accounting: no swap counter at all.
    expect(meminfoView(HOST, mem(), 1).swapTotal).toBe(2097152);
  });

  it('reads v2 memory.stat names and counts reclaimable cache as available', () => {
    const v = meminfoView(HOST, mem({ stat: { active_file: 4 * MiB, inactive_file: 4 * MiB, slab_reclaimable: 2 * MiB } }), 2);
    expect(v.available).toBe(196608 + 10240);
    expect(renderMeminfo(HOST, mem({ stat: { file: 3 * MiB, slab: 5 * MiB, slab_reclaimable: 2 * MiB } }), 2).split('\n')).toContain('Cached:             3072 kB');
  });
});

describe('/proc/swaps of a VE', () => {
  const header = 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority';
  it('shows one virtual swap of the VE\'s limit, or the header alone without swap', () => {
    expect(renderSwaps(`${header}\n`, { total: 1, free: 1, available: 1, swapTotal: 524288, swapFree: 507904 }))
      .toBe(`${header}\nnone${' '.repeat(36)}virtual\t\t524288\t16384\t0\n`);
    expect(renderSwaps(`${header}\n`, { total: 1, free: 1, available: 1, swapTotal: 0, swapFree: 0 })).toBe(`${header}\n`);
  });
});

describe('vzDirOps', () => {
  it("makes /dev/vz in the VE's /dev and binds the server's vz directory onto it", () => {
    expect(vzDirOps('/run/vzkit/vzprocfs/mnt', '/var/lib/vzkit/root/101')).toEqual([
      { op: 'mkdir', path: '/var/lib/vzkit/root/101/dev/vz', mode: 0o555 },
      { op: 'mount', source: '/run/vzkit/vzprocfs/mnt/vz', target: '/var/lib/vzkit/root/101/dev/vz', fstype: 'none', flags: ['bind'] },
    ]);
  });
});
