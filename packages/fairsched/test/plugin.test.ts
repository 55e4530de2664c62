import { afterEach, describe, expect, it } from 'vitest';
import { failure, fakeVe, type FakeVe } from '@vzkit/fake-host';
import { fairschedPlugin } from '../src/index.js';

let t: FakeVe;
afterEach(async () => {
  await t.cleanup();
});

const GROUP = 'vzkit/101';


describe('fairsched on FakeHost', () => {
  it('sets weight, quota and cpuset at start', async () => {
    t = await fakeVe([fairschedPlugin], { cpus: 4 });
    await t.create(101, { CPUUNITS: '3000', CPULIMIT: '150', CPUS: '2' });
    await t.runtime.start(101);
    expect(t.fake.cgroups.read(GROUP)).toMatchObject({ cpu: { weight: 300, quota: 150000, period: 100000 }, cpuset: { cpus: '1-2' } });
  });

  it('writes nothing for a VE that sets nothing', async () => {
    t = await fakeVe([fairschedPlugin]);
    await t.create(101);
    await t.runtime.start(101);
    expect(t.fake.cgroups.read(GROUP)).toEqual({});
  });

  it('changes every parameter live, and back to no limit', async () => {
    t = await fakeVe([fairschedPlugin], { cpus: 2 });
    await t.create(101, { CPULIMIT: '25' });
    await t.runtime.start(101);
    await t.runtime.set(101, [{ flag: 'cpulimit', arg: '50%' }, { flag: 'cpuunits', arg: '500' }, { flag: 'cpumask', arg: '1' }]);
    expect(t.fake.cgroups.read(GROUP)).toMatchObject({ cpu: { weight: 50, quota: 100000 }, cpuset: { cpus: '1' } });
    await t.runtime.set(101, [{ flag: 'cpulimit', arg: '0' }, { flag: 'cpumask', arg: 'all' }]);
    expect(t.fake.cgroups.read(GROUP)).toMatchObject({ cpu: { weight: 50, quota: null }, cpuset: { cpus: '0-1' } });
  });

  it('refuses what this host cannot give, naming the CT and the key, and changes nothing', async () => {
    t = await fakeVe([fairschedPlugin], { cpus: 2 });
    await t.create(101, { CPULIMIT: '25' });
    await t.runtime.start(101);
    const e = await failure(t.runtime.set(101, [{ flag: 'cpus', arg: '3' }], { save: true }));
    expect(e.message).toBe('CT 101: CPUS (--cpus): 3 is more than the 2 CPUs of this host');
    expect(e.exit).toBe(21);
    expect(t.fake.cgroups.read(GROUP)).toMatchObject({ cpu: { quota: 25000 } });
  });

  it('reports the CPU time used', async () => {
    t = await fakeVe([fairschedPlugin]);
    await t.create(101, { CPUUNITS: '2000' });
    await t.runtime.start(101);
    t.fake.cgroups.setUsage(GROUP, { cpuNs: 2_500_000_000 });
    const rows = await t.runtime.stats(101);
    expect(rows.find((r) => r.resource === 'cpu')).toMatchObject({ held: 2_500_000_000, extra: { cpuunits: 2000 } });
    const [row] = await t.runtime.list({ stats: true });
    expect(t.runtime.listFields.find((f) => f.name === 'cputime')!.get(row!)).toBe(2.5);
  });
});
