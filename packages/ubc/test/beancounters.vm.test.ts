/**
 * ubc and fairsched on a real cgroup v2 kernel (the Debian guest of scripts/vm; skipped
 * anywhere else): limits land in the v2 files, a fork past numproc is refused with
 * failcnt growing, limits change live, and the rows say which mechanism holds.
 */
import { readFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StatRow } from '@vzkit/core';
import { fairschedPlugin } from '@vzkit/fairsched';
import { linuxVe, unifiedHost, type LinuxVe } from '@vzkit/linux/testing';
import { ubcPlugin } from '../src/index.js';

const SLEEPER = 'while :; do sleep 1 & wait $!; done';
let t: LinuxVe;
beforeEach(async () => {
  if (unifiedHost()) t = await linuxVe([ubcPlugin, fairschedPlugin]);
});
afterEach(async () => {
  await t?.cleanup();
});

/** A control file of the running VE's cgroup (its ref is in the VE's state). */
async function cgroupFile(ctid: number, file: string): Promise<string> {
  const { cgroup } = JSON.parse(await readFile(`${t.dir}/run/vzkit/${ctid}/state.json`, 'utf8')) as { cgroup: string };
  const dirs = await t.host.cgroups.paths(cgroup);
  return (await readFile(`${dirs['unified']}/${file}`, 'utf8')).trim();
}

const row = (rows: StatRow[], name: string) => rows.find((r) => r.resource === name)!;

describe.skipIf(!unifiedHost())('beancounters and CPU on cgroup v2', () => {
  it('puts numproc and the RAM limit into pids.max and memory.max, counts refused forks, changes live', async () => {
    const ctid = await t.create(SLEEPER, { NUMPROC: '20', PHYSPAGES: '0:32M', SWAPPAGES: '0:0', KMEMSIZE: '10M' });
    await t.runtime.start(ctid);
    expect(await cgroupFile(ctid, 'pids.max')).toBe('20');
    expect(await cgroupFile(ctid, 'memory.max')).toBe(String(32 * 2 ** 20));
    expect(await cgroupFile(ctid, 'memory.swap.max')).toBe('0');
    // The default sample's oomguarpages barrier (128M) shields that much from reclaim.
    expect(await cgroupFile(ctid, 'memory.low')).toBe(String(128 * 2 ** 20));
    // Forks past 20 are refused.
    await t.sh(ctid, 'i=0; while [ $i -lt 30 ]; do (sleep 3 &) 2>/dev/null; i=$((i+1)); done');
    let rows = await t.runtime.stats(ctid);
    expect(row(rows, 'numproc').failcnt).toBeGreaterThan(0);
    expect(row(rows, 'numproc').status).toBe('enforced');
    // (A hog past memory.max is OOM-killed and counted: cgroup-v2.vm.test.ts shows that
    // on this kernel; here the rows must say how each limit holds.)
    expect(row(rows, 'physpages')).toMatchObject({ limit: 8192, status: 'enforced' });
    // Kernel memory has no limit of its own on v2: counted inside memory.max.
    expect(row(rows, 'kmemsize').status).toBe('accounted');
    expect(row(rows, 'tcpsndbuf').status).toBe('accounted');
    await t.runtime.set(ctid, [{ flag: 'ram', arg: '256M' }, { flag: 'numproc', arg: '100' }]);
    expect(await cgroupFile(ctid, 'memory.max')).toBe(String(256 * 2 ** 20));
    expect(await cgroupFile(ctid, 'pids.max')).toBe('100');
  });

  it('puts cpuunits, cpulimit and cpus into cpu.weight, cpu.max and the cpuset, live', async () => {
    const ctid = await t.create(SLEEPER, { CPUUNITS: '3000', CPULIMIT: '25', CPUS: '1' });
    await t.runtime.start(ctid);
    expect(await cgroupFile(ctid, 'cpu.weight')).toBe('300');
    expect(await cgroupFile(ctid, 'cpu.max')).toBe('25000 100000');
    expect((await cgroupFile(ctid, 'cpuset.cpus')).split(/[,-]/)).toHaveLength(1);
    expect((await t.sh(ctid, 'nproc')).stdout?.trim()).toBe('1');
    await t.runtime.set(ctid, [{ flag: 'cpulimit', arg: '0' }, { flag: 'cpus', arg: '0' }, { flag: 'cpuunits', arg: '500' }]);
    expect(await cgroupFile(ctid, 'cpu.max')).toBe('max 100000');
    expect(await cgroupFile(ctid, 'cpu.weight')).toBe('50');
  });
});
