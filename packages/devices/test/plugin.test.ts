import { afterEach, describe, expect, it } from 'vitest';
import { failure, fakeVe, type FakeVe } from '@vzkit/fake-host';
import { DEFAULT_DEVICES, devicesPlugin } from '../src/index.js';

let t: FakeVe;
afterEach(async () => {
  await t.cleanup();
});

const GROUP = 'vzkit/101';

describe('devices', () => {
  it('allows only the VE /dev nodes (and mknod) from the start', async () => {
    t = await fakeVe([devicesPlugin]);
    await t.create(101);
    await t.runtime.start(101);
    expect(t.fake.cgroups.read(GROUP)?.devices?.allow).toEqual(DEFAULT_DEVICES);
    expect(DEFAULT_DEVICES.filter((r) => r.type === 'b' && r.access !== 'm')).toEqual([]);
  });

  it('--devices grants more, live', async () => {
    t = await fakeVe([devicesPlugin]);
    await t.create(101);
    await t.runtime.start(101);
    await t.runtime.set(101, [{ flag: 'devices', arg: 'c:10:200:rw b:7:all:r' }]);
    expect(t.fake.cgroups.read(GROUP)?.devices?.allow.slice(-2)).toEqual([
      { type: 'c', major: 10, minor: 200, access: 'rw' },
      { type: 'b', major: 7, minor: '*', access: 'r' },
    ]);
  });

  it('refuses a malformed grant naming the CT and the key', async () => {
    t = await fakeVe([devicesPlugin]);
    await t.create(101);
    expect((await failure(t.runtime.set(101, [{ flag: 'devices', arg: 'x:1:2:rw' }], { save: true }))).message)
      .toBe("CT 101: invalid value for DEVICES (--devices): 'x:1:2:rw' is not b|c:MAJOR:MINOR|all:r|w|rw");
  });

  it('on cgroup v2 (no BPF device program yet) the VE starts with a warning that says what it may reach', async () => {
    t = await fakeVe([devicesPlugin], { cgroupVersion: 2 });
    await t.create(101);
    await t.runtime.start(101);
    expect(t.warnings.join('\n')).toMatch(/the VE's root can open any device node it makes/);
  });
});
