import { afterEach, describe, expect, it } from 'vitest';
import { failure, fakeVe, userNamespaceStandIn, type FakeVe } from '@vzkit/fake-host';
import { CAPABILITIES, CAPABILITY, capsPlugin, DEFAULT_OFF, droppedCaps, HOST_ROOT_OFF } from '../src/index.js';

let t: FakeVe;
afterEach(async () => {
  await t.cleanup();
});

describe('caps', () => {
  it('drops the default set from init, keeps the rest', async () => {
    t = await fakeVe([capsPlugin]);
    await t.create(101);
    const pid = await t.runtime.start(101);
    const caps = t.fake.process(pid)!.capBounding;
    for (const name of DEFAULT_OFF) expect(caps, name).not.toContain(CAPABILITIES[name]);
    for (const name of ['sys_admin', 'net_admin', 'sys_boot', 'mknod', 'chown']) expect(caps, name).toContain(CAPABILITIES[name]);
  });

  it('a VE of the host root also loses sys_ptrace (it would reach the launcher); an unprivileged VE keeps it', async () => {
    t = await fakeVe([userNamespaceStandIn, capsPlugin]);
    await t.create(101);
    await t.create(102, { LOCAL_UID: '2000000' });
    const host = t.fake.process(await t.runtime.start(101))!.capBounding;
    const own = t.fake.process(await t.runtime.start(102))!.capBounding;
    expect(HOST_ROOT_OFF).toEqual(['sys_ptrace']);
    expect(host).not.toContain(CAPABILITIES['sys_ptrace']);
    expect(own).toContain(CAPABILITIES['sys_ptrace']);
    for (const name of DEFAULT_OFF) expect(own, name).not.toContain(CAPABILITIES[name]);
    // CAPABILITY gives it back, as any other.
    await t.runtime.stop(101, { fast: true });
    await t.runtime.set(101, [{ flag: 'capability', arg: 'sys_ptrace:on' }], { save: true });
    expect(t.fake.process(await t.runtime.start(101))!.capBounding).toContain(CAPABILITIES['sys_ptrace']);
  });

  it('--capability turns one on or off at the next start, saved as vzctl writes it', async () => {
    t = await fakeVe([capsPlugin]);
    await t.create(101);
    await t.runtime.set(101, [{ flag: 'capability', arg: 'sys_time:on' }, { flag: 'capability', arg: 'NET_ADMIN:off' }], { save: true });
    expect((await t.runtime.config(101)).raw('CAPABILITY')).toBe('sys_time:on net_admin:off');
    const pid = await t.runtime.start(101);
    const caps = t.fake.process(pid)!.capBounding;
    expect(caps).toContain(CAPABILITIES['sys_time']);
    expect(caps).not.toContain(CAPABILITIES['net_admin']);
  });

  it('refuses an unknown name or a bad form with one line naming the CT', async () => {
    t = await fakeVe([capsPlugin]);
    await t.create(101);
    expect((await failure(t.runtime.set(101, [{ flag: 'capability', arg: 'foo:on' }], { save: true }))).message)
      .toBe("CT 101: invalid value for --capability: 'foo' is not a capability (see capabilities(7))");
    expect((await failure(t.runtime.set(101, [{ flag: 'capability', arg: 'sys_time' }], { save: true }))).message)
      .toBe("CT 101: invalid value for --capability: 'sys_time' is not name:on or name:off");
  });

  it('maps settings to the capability numbers to drop', () => {
    expect(droppedCaps(undefined)).toEqual(DEFAULT_OFF.map((n) => CAPABILITIES[n]).sort((a, b) => a! - b!));
    expect(droppedCaps(CAPABILITY.type.parse('sys_module:on chown:off'))).toContain(0);
    expect(droppedCaps(CAPABILITY.type.parse('sys_module:on'))).not.toContain(16);
    expect(droppedCaps(undefined, { hostRoot: true })).toContain(CAPABILITIES['sys_ptrace']);
    expect(droppedCaps(CAPABILITY.type.parse('sys_ptrace:on'), { hostRoot: true })).not.toContain(CAPABILITIES['sys_ptrace']);
  });
});
