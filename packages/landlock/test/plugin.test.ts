import { afterEach, describe, expect, it } from 'vitest';
import { definePlugin } from '@vzkit/core';
import { failure, fakeVe, userNamespaceStandIn, type FakeVe } from '@vzkit/fake-host';
import { LANDLOCK, landlockPlugin, MOUNT_API, wantsLandlock } from '../src/index.js';

/** A plugin whose last op mounts: after the Landlock domain, as a guest's own mount would. */
const latecomer = definePlugin({
  name: 'test-late-mount',
  hooks: {
    async prepare(_ctx, plan) {
      plan.add('final', { op: 'mkdir', path: '/mnt', mode: 0o755 }, { op: 'mount', source: 'proc', target: '/mnt', fstype: 'proc', flags: [] });
    },
  },
});

const mountCalls = MOUNT_API.map((c) => c.name);

let t: FakeVe;
afterEach(async () => {
  await t.cleanup();
});

describe('landlock', () => {
  it('puts init of a VE of the host root and every command run in it into a Landlock domain, with the mount API filtered', async () => {
    t = await fakeVe([userNamespaceStandIn, landlockPlugin]);
    await t.create(101);
    const init = t.fake.process(await t.runtime.start(101))!;
    expect(init.landlockDomain).toBeDefined();
    expect(init.seccompDeny).toEqual(mountCalls);
    expect(mountCalls).toEqual(expect.arrayContaining(['fsopen', 'fsmount', 'mount_setattr', 'open_tree']));
    t.fake.commands.register('self', (ctx) => ({ stdout: JSON.stringify(t.fake.process(ctx.pid)) }));
    const cmd = JSON.parse((await t.runtime.exec(101, { argv: ['self'], stdio: 'pipe' })).stdout!);
    // A domain of its own: Landlock has no way to join another process's domain.
    expect(cmd.landlockDomain).toBeDefined();
    expect(cmd.landlockDomain).not.toBe(init.landlockDomain);
    expect(cmd.seccompDeny).toEqual(mountCalls);
  });

  it('a task in the domain cannot mount: an op after it fails with EPERM and the VE does not start', async () => {
    t = await fakeVe([landlockPlugin, latecomer]);
    await t.create(101);
    const e = await failure(t.runtime.start(101));
    expect(e.code).toBe('ENV_CREATE');
    expect(e.message).toMatch(/^CT 101: .*mount \/mnt: EPERM/);
    expect((await t.runtime.status(101)).running).toBe(false);
  });

  it('leaves an unprivileged VE alone unless LANDLOCK=yes; LANDLOCK=no leaves any VE alone', async () => {
    t = await fakeVe([userNamespaceStandIn, landlockPlugin]);
    await t.create(101, { LOCAL_UID: '2000000' });
    await t.create(102, { LOCAL_UID: '2065536', LANDLOCK: 'yes' });
    await t.create(103, { LANDLOCK: 'no' });
    const own = t.fake.process(await t.runtime.start(101))!;
    expect(own.landlockDomain).toBeUndefined();
    expect(own.seccompDeny).toBeUndefined();
    expect(t.fake.process(await t.runtime.start(102))!.landlockDomain).toBeDefined();
    expect(t.fake.process(await t.runtime.start(103))!.landlockDomain).toBeUndefined();
    expect(wantsLandlock(undefined, true)).toBe(true);
    expect(wantsLandlock('auto', false)).toBe(false);
  });

  it('on a kernel without Landlock: a VE of the host root starts with a warning that says what it can do; LANDLOCK=yes refuses to start', async () => {
    t = await fakeVe([landlockPlugin], { landlockAbi: 0 });
    await t.create(101);
    await t.create(102, { LANDLOCK: 'yes' });
    const init = t.fake.process(await t.runtime.start(101))!;
    expect(init.landlockDomain).toBeUndefined();
    expect(t.warnings).toEqual([expect.stringMatching(/^CT 101 \[landlock\]: this kernel has no Landlock: its root is the host's root and can mount a procfs/)]);
    const e = await failure(t.runtime.start(102));
    expect(e.code).toBe('UNSUPPORTED');
    expect(e.message).toBe('CT 102: LANDLOCK=yes, but this kernel has no Landlock');
    expect((await t.runtime.status(102)).running).toBe(false);
  });

  it('refuses a bad value in one line naming the CT, changing nothing', async () => {
    t = await fakeVe([landlockPlugin]);
    await t.create(101);
    const e = await failure(t.runtime.set(101, [{ flag: 'landlock', arg: 'maybe' }], { save: true }));
    expect(e.code).toBe('BAD_VALUE');
    expect(e.message).toBe("CT 101: invalid value for LANDLOCK (--landlock): 'maybe' is not auto, yes or no");
    expect((await t.runtime.config(101)).get(LANDLOCK)).toBe('auto');
  });
});
