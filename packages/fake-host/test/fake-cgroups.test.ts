import { describe, expect, it } from 'vitest';
import { FakeHost, errnoOf } from '../src/index.js';

const errno = (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => errnoOf(e));
const G = '@self/vzkit-test/101';

describe('FakeCgroups', () => {
  it('creates groups under @self, moves pids between them, counts pids', async () => {
    const fake = new FakeHost();
    const cg = fake.cgroups;
    expect(await cg.exists(G)).toBe(false);
    await cg.create(G);
    expect(await cg.exists(G)).toBe(true);
    expect(cg.groups()).toContain('/user.slice/fake-session/vzkit-test/101');
    const pid = fake.processes.spawn(fake.selfPid, ['sleep']);
    expect(fake.process(pid)?.cgroup).toBe('/user.slice/fake-session');
    await cg.attach(G, pid);
    await cg.attach(G, pid);
    expect(await cg.pids(G)).toEqual([pid]);
    await cg.create('@self/vzkit-test/102');
    await cg.attach('@self/vzkit-test/102', pid);
    expect(await cg.pids(G)).toEqual([]);
    expect((await cg.stats('@self/vzkit-test')).pids?.current).toBe(1);
    expect(await fake.fs.readFile(`/proc/${pid}/cgroup`)).toContain(':pids:/user.slice/fake-session/vzkit-test/102\n');
    expect(await cg.paths(G)).toMatchObject({ cpu: '/sys/fs/cgroup/cpu/user.slice/fake-session/vzkit-test/101', cpuacct: '/sys/fs/cgroup/cpuacct/user.slice/fake-session/vzkit-test/101' });
  });

  it('fails like the kernel: ENOENT for missing groups, ESRCH for gone pids, EINVAL for bad names', async () => {
    const fake = new FakeHost();
    const cg = fake.cgroups;
    expect(await errno(cg.attach(G, fake.selfPid))).toBe('ENOENT');
    expect(await errno(cg.set(G, { pids: { max: 10 } }))).toBe('ENOENT');
    expect(await errno(cg.stats(G))).toBe('ENOENT');
    await cg.create(G);
    expect(await errno(cg.attach(G, 999999))).toBe('ESRCH');
    expect(await errno(cg.create('@self/../escape'))).toBe('EINVAL');
    expect(await errno(cg.destroy('@self/nothing-here'))).toBe('ok');
    const err = await cg.attach('vzkit/9', fake.selfPid).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'SYSTEM', errno: 'ENOENT' });
  });

  it('stores limits in resource words, rounds memory to pages, rejects what the kernel rejects', async () => {
    const fake = new FakeHost();
    const cg = fake.cgroups;
    await cg.create(G);
    await cg.set(G, { pids: { max: 64 }, memory: { max: 256 * 1024 * 1024 + 100, swap: 0, kmem: 1 << 20 }, cpu: { weight: 250, quota: 50_000, period: 100_000 }, cpuset: { cpus: '1' } });
    expect(cg.read(G)).toEqual({ pids: { max: 64 }, memory: { max: 256 * 1024 * 1024, swap: 0, kmem: 1 << 20 }, cpu: { weight: 250, quota: 50_000, period: 100_000 }, cpuset: { cpus: '1' } });
    for (const bad of [{ pids: { max: -1 } }, { pids: { max: 1.5 } }, { memory: { max: -4096 } }, { cpu: { quota: 10 } }, { cpu: { period: 10 } }, { cpuset: { cpus: 'x' } }, { cpuset: { mems: '1' } }, { cpu: { weight: 0 } }]) {
      expect(await errno(cg.set(G, bad))).toBe('EINVAL');
    }
    expect(await errno(cg.set(G, { cpuset: { cpus: '5' } }))).toBe('ERANGE');
    const err = await cg.set(G, { pids: { max: -1 } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ errno: 'EINVAL', path: '/sys/fs/cgroup/pids/user.slice/fake-session/vzkit-test/101/pids.max' });
    // Files are written in order: what came before the refused one stays written.
    expect(await errno(cg.set(G, { pids: { max: 100 }, cpu: { quota: 1 } }))).toBe('EINVAL');
    expect(cg.read(G)?.pids?.max).toBe(100);
    await cg.set(G, { pids: { max: null }, memory: { max: null } });
    expect((await cg.stats(G)).pids?.max).toBeNull();
  });

  it('v1: a memory limit below usage is EBUSY; usage stops at the limit and counts failcnt', async () => {
    const fake = new FakeHost();
    const cg = fake.cgroups;
    await cg.create(G);
    cg.setUsage(G, { memory: 100 * 4096 });
    expect(await errno(cg.set(G, { memory: { max: 50 * 4096 } }))).toBe('EBUSY');
    await cg.set(G, { memory: { max: 200 * 4096 } });
    cg.setUsage(G, { memory: 300 * 4096 });
    const mem = (await cg.stats(G)).memory!;
    expect(mem).toMatchObject({ usage: 200 * 4096, maxUsage: 200 * 4096, failcnt: 1, max: 200 * 4096, kmemUsage: 0 });
  });

  it('pids.max makes forks fail with EAGAIN and counts failcnt, hierarchically', async () => {
    const fake = new FakeHost();
    const cg = fake.cgroups;
    await cg.create(G);
    await cg.set('@self/vzkit-test', { pids: { max: 2 } });
    const a = fake.processes.spawn(fake.selfPid);
    await cg.attach(G, a);
    fake.processes.spawn(a);
    expect(() => fake.processes.spawn(a)).toThrow(/EAGAIN/);
    expect((await cg.stats('@self/vzkit-test')).pids).toEqual({ current: 2, max: 2, failcnt: 1, peak: 2 });
    cg.bumpFailcnt(G, 'pids', 3);
    expect((await cg.stats(G)).pids?.failcnt).toBe(3);
  });

  it('destroy removes the empty groups below first and stops, EBUSY, at one with a process; kill empties it', async () => {
    const fake = new FakeHost();
    const cg = fake.cgroups;
    await cg.create(`${G}/empty`);
    await cg.create(`${G}/sub`);
    const pid = fake.processes.spawn(fake.selfPid);
    await cg.attach(`${G}/sub`, pid);
    const e = await cg.destroy(G).catch((err: unknown) => err);
    expect(e).toMatchObject({ errno: 'EBUSY', path: '/sys/fs/cgroup/pids/user.slice/fake-session/vzkit-test/101/sub' });
    expect(await cg.exists(`${G}/empty`)).toBe(false);
    expect(await cg.exists(`${G}/sub`)).toBe(true);
    await cg.kill(G);
    expect(fake.process(pid)).toMatchObject({ alive: false, exit: { signal: 'SIGKILL' } });
    await cg.destroy(G);
    expect(await cg.exists(G)).toBe(false);
  });

  it('v1 freezer holds signals, SIGKILL included, until thaw', async () => {
    const fake = new FakeHost();
    const cg = fake.cgroups;
    await cg.create(G);
    const pid = fake.processes.spawn(fake.selfPid);
    await cg.attach(G, pid);
    await cg.freeze(G);
    expect(cg.isFrozen(G)).toBe(true);
    expect(await fake.processes.signal(pid, 'SIGKILL')).toBe(true);
    expect(fake.process(pid)?.alive).toBe(true);
    await cg.thaw(G);
    expect(fake.process(pid)?.alive).toBe(false);
  });

  it('v2: one hierarchy, SIGKILL kills frozen tasks, weight out of range is ERANGE, no kmem', async () => {
    const fake = new FakeHost({ cgroupVersion: 2 });
    const cg = fake.cgroups;
    expect(cg.version).toBe(2);
    await cg.create(G);
    const dir = '/sys/fs/cgroup/user.slice/fake-session/vzkit-test/101';
    expect(await cg.paths(G)).toEqual({ unified: dir, cpu: dir, cpuset: dir, io: dir, memory: dir, pids: dir });
    expect(await errno(cg.set(G, { cpu: { weight: 20000 } }))).toBe('ERANGE');
    await cg.set(G, { memory: { kmem: 1 << 20 } });
    expect(cg.read(G)).toEqual({});
    const pid = fake.processes.spawn(fake.selfPid);
    await cg.attach(G, pid);
    await cg.freeze(G);
    await fake.processes.signal(pid, 'SIGKILL');
    expect(fake.process(pid)?.alive).toBe(false);
    expect(await fake.fs.readFile(`/proc/${fake.selfPid}/cgroup`)).toBe('0::/user.slice/fake-session\n');
  });

  it('a missing controller is ENOENT; failNext fails one call', async () => {
    const fake = new FakeHost({ controllers: ['cpu', 'memory'] });
    const cg = fake.cgroups;
    await cg.create(G);
    expect(await errno(cg.set(G, { pids: { max: 5 } }))).toBe('ENOENT');
    expect(await errno(cg.freeze(G))).toBe('ENOENT');
    expect((await cg.stats(G)).pids).toBeUndefined();
    fake.failNext('cgroup.create', 'ENOSPC');
    expect(await errno(cg.create('@self/other'))).toBe('ENOSPC');
    expect(await cg.exists('@self/other')).toBe(false);
  });
});

describe('FakeCgroups io', () => {
  it('takes throttles of whole disks only (ENODEV for a partition or no device), and a weight only where a scheduler has one', async () => {
    const { FakeHost: Host } = await import('@vzkit/fake-host');
    const fake = new Host();
    await fake.cgroups.create('vzkit/101');
    const limit = { readBps: 1, writeBps: null, readIops: null, writeIops: null };
    await fake.cgroups.set('vzkit/101', { io: { limits: [{ major: 254, minor: 0, ...limit }] } });
    expect(fake.cgroups.read('vzkit/101')?.io?.limits).toEqual([{ major: 254, minor: 0, ...limit }]);
    await expect(fake.cgroups.set('vzkit/101', { io: { limits: [{ major: 254, minor: 1, ...limit }] } })).rejects.toMatchObject({ errno: 'ENODEV' });
    await expect(fake.cgroups.set('vzkit/101', { io: { limits: [{ major: 9, minor: 9, ...limit }] } })).rejects.toMatchObject({ errno: 'ENODEV' });
    await expect(fake.cgroups.set('vzkit/101', { io: { weight: 100 } })).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    // No limit left: no rule.
    await fake.cgroups.set('vzkit/101', { io: { limits: [{ major: 254, minor: 0, readBps: null, writeBps: null, readIops: null, writeIops: null }] } });
    expect(fake.cgroups.read('vzkit/101')?.io?.limits).toEqual([]);
    const v2 = new Host({ cgroupVersion: 2 });
    await v2.cgroups.create('vzkit/101');
    await v2.cgroups.set('vzkit/101', { io: { weight: 128 } });
    expect(v2.cgroups.read('vzkit/101')?.io?.weight).toBe(128);
  });
});

describe('sample', () => {
  it('gives stats() of each group that exists, leaving out the others', async () => {
    const fake = new FakeHost();
    await fake.cgroups.create('vzkit/101');
    fake.cgroups.setUsage('vzkit/101', { memory: 4096 });
    const m = await fake.cgroups.sample(['vzkit/101', 'vzkit/102']);
    expect([...m.keys()]).toEqual(['vzkit/101']);
    expect(m.get('vzkit/101')).toEqual(await fake.cgroups.stats('vzkit/101'));
  });
});
