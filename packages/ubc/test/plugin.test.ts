import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type StatRow } from '@vzkit/core';
import { failure, fakeVe, type FakeVe } from '@vzkit/fake-host';
import { nsIpcPlugin } from '@vzkit/ns-ipc';
import { ubcPlugin } from '../src/index.js';

let t: FakeVe;
afterEach(async () => {
  await t.cleanup();
});


const GROUP = 'vzkit/101';
const row = (rows: StatRow[], name: string) => rows.find((r) => r.resource === name)!;

/**
 * A runtime whose VEs get only the beancounters a test gives: they are made from a
 * sample that sets none (the default sample, basic, sets many).
 */
async function bareVes(hostOptions = {}): Promise<FakeVe> {
  t = await fakeVe([nsIpcPlugin, ubcPlugin], hostOptions);
  await mkdir(t.runtime.paths.confDir, { recursive: true });
  await writeFile(join(t.runtime.paths.confDir, 've-bare.conf-sample'), '# no beancounters\n');
  return t;
}
const BARE = { config: 'bare' };

async function start(values: Record<string, string>, hostOptions = {}) {
  await bareVes(hostOptions);
  await t.create(101, values, BARE);
  return t.runtime.start(101);
}

describe('start', () => {
  it('puts the limits on the VE cgroup: numproc, RAM + swap, guarantee, TCP buffers', async () => {
    await start({ NUMPROC: '100:100', PHYSPAGES: '0:64M', SWAPPAGES: '0:32M', OOMGUARPAGES: '16M:unlimited', TCPSNDBUF: '1M:2M', TCPRCVBUF: '1M:2M' });
    expect(t.fake.cgroups.read(GROUP)).toMatchObject({
      pids: { max: 100 },
      memory: { max: 64 * 2 ** 20, swap: 32 * 2 ** 20, low: 16 * 2 ** 20, kmemTcp: 4 * 2 ** 20 },
    });
  });

  it('gives init (and so every process of the VE) the per-process limits', async () => {
    const pid = await start({ NUMFILE: '1000:2000', LOCKEDPAGES: '16:32', NUMSIGINFO: '64:64' });
    expect(t.fake.process(pid)!.rlimits).toMatchObject({
      NOFILE: { soft: 1000, hard: 2000 },
      MEMLOCK: { soft: 16 * 4096, hard: 32 * 4096 },
      SIGPENDING: { soft: 64, hard: 64 },
    });
  });

  it("sets shared memory limits in the VE's own IPC namespace only", async () => {
    const pid = await start({ SHMPAGES: '8192:8192' });
    expect(t.fake.sysctl(pid, 'kernel.shmall')).toBe('8192');
    expect(t.fake.sysctl(pid, 'kernel.shmmax')).toBe(String(8192 * 4096));
    expect(t.fake.sysctl(t.fake.selfPid, 'kernel.shmall')).not.toBe('8192');
  });

  it('touches no cgroup file when no beancounter is set', async () => {
    await start({});
    expect(t.fake.cgroups.read(GROUP)).toEqual({});
  });

  it('refuses contradicting values before anything is made', async () => {
    await bareVes();
    const e = await failure(t.create(101, { SWAPPAGES: '0:1G' }, BARE));
    expect(e.message).toBe('CT 101: SWAPPAGES (--swap): a swap limit needs a RAM limit; set PHYSPAGES (--ram) too');
    expect(e.exit).toBe(21);
    expect(await t.runtime.ctids()).toEqual([]);
  });

  it('creates from the shipped samples', async () => {
    t = await fakeVe([nsIpcPlugin, ubcPlugin]);
    expect(await t.runtime.samples()).toEqual(expect.arrayContaining(['basic', 'light', 'unlimited', 'vswap-256m', 'vswap-1g']));
    await t.runtime.create(101, { ostemplate: 'test', config: 'light' });
    const config = await t.runtime.config(101);
    expect(config.raw('NUMPROC')).toBe('100:100');
    expect(config.raw('ORIGIN_SAMPLE')).toBe('light');
  });
});

describe('a VE created without --config', () => {
  it('takes the basic sample (CONFIGFILE): processes, memory, shared memory and open files are limited at start', async () => {
    t = await fakeVe([nsIpcPlugin, ubcPlugin]);
    await t.create(101);
    const config = await t.runtime.config(101);
    expect(config.raw('ORIGIN_SAMPLE')).toBe('basic');
    const pid = await t.runtime.start(101);
    expect(t.fake.cgroups.read(GROUP)).toMatchObject({ pids: { max: 1000 }, memory: { max: 512 * 2 ** 20 } });
    expect(t.fake.sysctl(pid, 'kernel.shmmax')).toBe(String(128 * 2 ** 20));
    expect(t.fake.process(pid)!.rlimits['NOFILE']).toEqual({ soft: 8192, hard: 16384 });
  });

  it('is unlimited only from the unlimited sample', async () => {
    t = await fakeVe([nsIpcPlugin, ubcPlugin]);
    await t.create(101, {}, { config: 'unlimited' });
    await t.runtime.start(101);
    expect(t.fake.cgroups.read(GROUP)).toMatchObject({ pids: { max: null }, memory: { max: null } });
  });

  it('takes the sample vz.conf names, and refuses one that does not exist (82), making nothing', async () => {
    t = await fakeVe([nsIpcPlugin, ubcPlugin]);
    await mkdir(t.runtime.paths.confDir, { recursive: true });
    await writeFile(t.runtime.paths.globalConf, 'CONFIGFILE="light"\n');
    await t.create(101);
    expect((await t.runtime.config(101)).raw('NUMPROC')).toBe('100:100');
    await writeFile(t.runtime.paths.globalConf, 'CONFIGFILE="nosuch"\n');
    const e = await failure(t.create(102));
    expect([e.code, e.exit]).toEqual(['SAMPLE_NOT_FOUND', 82]);
    expect(e.message).toBe(`CT 102: sample config ${t.runtime.paths.confDir}/ve-nosuch.conf-sample (CONFIGFILE in ${t.runtime.paths.globalConf}) not found`);
    expect(await t.runtime.ctids()).toEqual([101]);
  });
});

describe('vzctl set on a running VE', () => {
  it('changes cgroup limits, the rlimits of every process and the IPC limits at once', async () => {
    const pid = await start({ NUMPROC: '100', PHYSPAGES: '0:64M', NUMFILE: '1000:2000', SHMPAGES: '100' });
    const result = await t.runtime.set(101, [{ flag: 'numproc', arg: '50' }, { flag: 'ram', arg: '128M' }, { flag: 'numfile', arg: '500:600' }, { flag: 'shmpages', arg: '200' }]);
    expect(result.applied.sort()).toEqual(['NUMFILE', 'NUMPROC', 'PHYSPAGES', 'SHMPAGES']);
    expect(t.fake.cgroups.read(GROUP)).toMatchObject({ pids: { max: 50 }, memory: { max: 128 * 2 ** 20 } });
    expect(t.fake.process(pid)!.rlimits['NOFILE']).toEqual({ soft: 500, hard: 600 });
    expect(t.fake.sysctl(pid, 'kernel.shmall')).toBe('200');
    // Not saved: the config file keeps the old values; the runtime and vzubc show the ones in force.
    expect(await readFile(`${t.runtime.paths.confDir}/101.conf`, 'utf8')).toContain('NUMPROC="100"');
    expect((await t.runtime.config(101)).raw('NUMPROC')).toBe('50');
    expect(row(await t.runtime.stats(101), 'numproc')).toMatchObject({ barrier: 50, limit: 50 });
    // A later change keeps the earlier unsaved ones.
    await t.runtime.set(101, [{ flag: 'numsiginfo', arg: '10' }]);
    expect(t.fake.cgroups.read(GROUP)).toMatchObject({ pids: { max: 50 } });
  });

  it('refuses a bad value and changes nothing', async () => {
    await start({ NUMPROC: '100' });
    const conf = await readFile(`${t.runtime.paths.confDir}/101.conf`, 'utf8');
    for (const [flag, arg, msg] of [
      ['numproc', '10:5', 'CT 101: invalid value for NUMPROC (--numproc): barrier 10 is above limit 5'],
      ['numproc', 'x', "CT 101: invalid value for NUMPROC (--numproc): 'x' is not a number with an optional K, M, G, T, P or B suffix"],
      ['swap', '1G', 'CT 101: SWAPPAGES (--swap): a swap limit needs a RAM limit; set PHYSPAGES (--ram) too'],
    ] as const) {
      const e = await failure(t.runtime.set(101, [{ flag, arg }], { save: true }));
      expect(e.message).toBe(msg);
    }
    expect(t.fake.cgroups.read(GROUP)).toMatchObject({ pids: { max: 100 } });
    expect(await readFile(`${t.runtime.paths.confDir}/101.conf`, 'utf8')).toBe(conf);
  });

  it('puts the previous limits back when the kernel refuses a new one', async () => {
    await start({ NUMPROC: '100', PHYSPAGES: '0:64M' });
    t.fake.failNext('cgroup.set', 'EINVAL', { times: 1 });
    const e = await failure(t.runtime.set(101, [{ flag: 'numproc', arg: '50' }, { flag: 'ram', arg: '32M' }]));
    expect(e.code).toBe('UBC_SET_FAILED');
    expect(e.message).toMatch(/^CT 101: setting beancounters: /);
    expect(t.fake.cgroups.read(GROUP)).toMatchObject({ pids: { max: 100 }, memory: { max: 64 * 2 ** 20 } });
  });
});

describe('stats', () => {
  it('reports held, maxheld and failcnt from the kernel counters, with the status of each row', async () => {
    const pid = await start({ NUMPROC: '10', PHYSPAGES: '0:64M', SHMPAGES: '1000' });
    t.fake.cgroups.setUsage(GROUP, { memory: 8 * 2 ** 20, shmem: 2 ** 20, kmem: 12345 });
    t.fake.cgroups.bumpFailcnt(GROUP, 'pids', 4);
    t.fake.setProcessUsage(pid, { vmLckKb: 8, vmDataKb: 400, vmStkKb: 100, fds: ['/dev/null', 'socket:[77]', 'socket:[78]', '/var/log/x'] });
    const rows = await t.runtime.stats(101);
    expect(rows.filter((r) => r.status !== undefined).map((r) => r.resource)).toHaveLength(21);
    expect(row(rows, 'numproc')).toMatchObject({ held: 1, maxheld: 1, barrier: 10, limit: 10, failcnt: 4, status: 'enforced' });
    expect(row(rows, 'physpages')).toMatchObject({ held: 2048, limit: 16384, failcnt: 0, status: 'enforced' });
    expect(row(rows, 'shmpages')).toMatchObject({ held: 256, limit: 1000 });
    expect(row(rows, 'kmemsize')).toMatchObject({ held: 12345, status: 'accounted' });
    expect(row(rows, 'lockedpages')).toMatchObject({ held: 2 });
    expect(row(rows, 'privvmpages')).toMatchObject({ held: 125, status: 'accounted' });
    expect(row(rows, 'numfile')).toMatchObject({ held: 4 });
    expect(row(rows, 'numiptent')).toMatchObject({ status: 'unsupported' });
    expect(row(rows, 'numiptent').held).toBeUndefined();
  });

  it.each([
    ['v2 (memory.swap.events max)', { cgroupVersion: 2 }, 3],
    ['v1 before 6.13 (memory.memsw.failcnt)', { cgroupVersion: 1, kernelRelease: '6.1.0-18-amd64' }, 3],
    ['v1 from 6.13 on, which no longer counts memsw refusals', { cgroupVersion: 1 }, undefined],
  ])('counts refused swap charges as swappages failcnt on %s', async (_what, host, failcnt) => {
    await start({ PHYSPAGES: '0:64M', SWAPPAGES: '0:32M' }, host);
    t.fake.cgroups.setUsage(GROUP, { swap: 16 * 2 ** 20 });
    t.fake.cgroups.bumpFailcnt(GROUP, 'swap', 3);
    const r = row(await t.runtime.stats(101), 'swappages');
    expect(r).toMatchObject({ held: 4096, limit: 8192 });
    expect(r.failcnt).toBe(failcnt);
  });

  it('announces a growing failcnt on the event bus', async () => {
    await start({ NUMPROC: '10' });
    const seen: Array<[number, string, number]> = [];
    t.runtime.events.on('ubc:failcnt', (...a) => seen.push(a));
    await t.runtime.stats(101);
    t.fake.cgroups.bumpFailcnt(GROUP, 'pids', 2);
    await t.runtime.stats(101);
    await t.runtime.stats(101);
    expect(seen).toEqual([[101, 'numproc', 2]]);
  });

  it('shows the configured limits of a stopped VE and no usage', async () => {
    await bareVes();
    await t.create(101, { NUMPROC: '20:30' }, BARE);
    const rows = await t.runtime.stats(101);
    expect(row(rows, 'numproc')).toMatchObject({ barrier: 20, limit: 30 });
    expect(row(rows, 'numproc').held).toBeUndefined();
  });

  it('on cgroup v2, TCP buffers and kernel memory are accounted inside memory.max', async () => {
    await start({ PHYSPAGES: '0:64M', TCPSNDBUF: '1M' }, { cgroupVersion: 2 });
    const rows = await t.runtime.stats(101);
    expect(row(rows, 'tcpsndbuf').status).toBe('accounted');
    expect(row(rows, 'dcachesize').status).toBe('accounted');
    expect(t.fake.cgroups.read(GROUP)?.memory?.max).toBe(64 * 2 ** 20);
  });
});

describe('a vzctl without CAP_SYS_RESOURCE', () => {
  it('grants at most its own hard limits, says so, and still starts the VE', async () => {
    await bareVes();
    t.fake.dropCallerCaps(24);
    t.fake.setCallerRlimit('NOFILE', 1024, 20000);
    await t.create(101, { NUMFILE: '8192:65536', NUMPROC: '100' }, BARE);
    const pid = await t.runtime.start(101);
    expect(t.fake.process(pid)!.rlimits['NOFILE']).toEqual({ soft: 8192, hard: 20000 });
    expect(t.warnings, t.warnings.join('|')).toContain('CT 101 [ubc]: RLIMIT_NOFILE 65536 is above the 20000 that vzctl may grant without CAP_SYS_RESOURCE: the VE gets 20000');
    expect(t.fake.cgroups.read(GROUP)).toMatchObject({ pids: { max: 100 } });
  });
});

describe('maxheld of counts without a kernel peak', () => {
  it('is the highest value vzkit has seen while the VE runs', async () => {
    const pid = await start({ NUMFILE: '100' });
    t.fake.setProcessUsage(pid, { fds: ['/a', '/b', '/c', '/d'] });
    expect(row(await t.runtime.stats(101), 'numfile')).toMatchObject({ held: 4, maxheld: 4 });
    t.fake.setProcessUsage(pid, { fds: ['/a'] });
    expect(row(await t.runtime.stats(101), 'numfile')).toMatchObject({ held: 1, maxheld: 4 });
    await t.runtime.stop(101, { fast: true });
    await t.runtime.start(101);
    expect(row(await t.runtime.stats(101), 'numfile').maxheld).toBeLessThan(4);
  });
});

describe('live rlimits', () => {
  it('are set only for the keys that changed: a process that lowered its own keeps it', async () => {
    const pid = await start({ NUMFILE: '1000:2000', NUMPROC: '100' });
    await t.fake.processes.setRlimit(pid, 'NOFILE', 100, 2000);
    await t.runtime.set(101, [{ flag: 'numproc', arg: '50' }]);
    expect(t.fake.process(pid)!.rlimits['NOFILE']).toEqual({ soft: 100, hard: 2000 });
    await t.runtime.set(101, [{ flag: 'numfile', arg: '500:600' }]);
    expect(t.fake.process(pid)!.rlimits['NOFILE']).toEqual({ soft: 500, hard: 600 });
  });
});
