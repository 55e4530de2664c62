import { afterEach, describe, expect, it } from 'vitest';
import { fakeVe, type FakeVe } from '@vzkit/fake-host';

let t: FakeVe;
afterEach(async () => {
  await t.cleanup();
});

describe('destroy', () => {
  it('takes the empty parent of the VEs\' groups with the last VE, and keeps it while another VE runs', async () => {
    t = await fakeVe([]);
    const groups = () => t.fake.cgroups.exists('vzkit');
    await t.create(101);
    await t.create(102);
    await t.runtime.start(101);
    await t.runtime.start(102);
    await t.runtime.stop(101, { fast: true });
    await t.runtime.destroy(101);
    expect(await groups()).toBe(true);
    await t.runtime.stop(102, { fast: true });
    // A stopped VE keeps nothing in the parent: its last destroy removes it.
    await t.runtime.destroy(102);
    expect(await groups()).toBe(false);
    // The next start makes it again.
    await t.create(103);
    await t.runtime.start(103);
    expect(await t.fake.cgroups.exists('vzkit/103')).toBe(true);
  });
});
