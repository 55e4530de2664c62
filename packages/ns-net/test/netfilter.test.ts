import { afterEach, describe, expect, it } from 'vitest';
import { failure, fakeVe, type FakeVe } from '@vzkit/fake-host';
import { nsNetPlugin } from '../src/index.js';

let t: FakeVe;
afterEach(async () => {
  await t.cleanup();
});

describe('NETFILTER and IPTABLES', () => {
  it('full is what the VE\'s own namespace gives: no warning', async () => {
    t = await fakeVe([nsNetPlugin]);
    await t.create(101, { NETFILTER: 'full' });
    await t.runtime.start(101);
    expect(t.warnings).toEqual([]);
  });

  it('a narrower level is taken (OpenVZ configs carry it) and said to be unenforced at start', async () => {
    t = await fakeVe([nsNetPlugin]);
    await t.create(101, { NETFILTER: 'stateless' });
    await t.runtime.start(101);
    expect(t.warnings).toEqual([
      "CT 101 [ns-net]: NETFILTER stateless: not enforced: the VE's root can still use connection tracking and NAT in its own network namespace, where it holds CAP_NET_ADMIN (a mainline kernel has no per-namespace netfilter switch)",
    ]);
  });

  it('reads the obsolete IPTABLES module list as a level (conntrack modules: stateful), NETFILTER first', async () => {
    t = await fakeVe([nsNetPlugin]);
    await t.create(101);
    await t.runtime.set(101, [{ flag: 'iptables', arg: 'iptable_filter,ipt_state' }], { save: true });
    expect((await t.runtime.config(101)).raw('IPTABLES')).toBe('iptable_filter ipt_state');
    await t.runtime.start(101);
    expect(t.warnings.join('\n')).toMatch(/^CT 101 \[ns-net\]: IPTABLES \(stateful\): not enforced: the VE's root can still use NAT/);
    const [row] = await t.runtime.list({ ctids: [101] });
    expect(nsNetPlugin.listFields!.find((f) => f.name === 'netfilter')!.get(row!)).toBe('stateful');
  });

  it('disabled refuses the calls that configure netfilter, in init and in every exec; no warning', async () => {
    t = await fakeVe([nsNetPlugin]);
    await t.create(101, { NETFILTER: 'disabled' });
    const pid = await t.runtime.start(101);
    const answer = (p: number, call: string, args: number[]) => t.fake.processes.get(p)!.seccompAnswer(call, args);
    expect(answer(pid, 'socket', [16, 3, 12])).toBe('EPERM');
    expect(answer(pid, 'socket', [16, 3, 0])).toBeUndefined();
    for (const [level, option] of [[0, 64], [0, 65], [0, 96], [0, 97], [0, 128], [0, 129], [41, 64], [41, 65]]) {
      expect(answer(pid, 'setsockopt', [3, level!, option!]), `${level}:${option}`).toBe('EPERM');
    }
    expect(answer(pid, 'setsockopt', [3, 0, 1])).toBeUndefined();
    expect(t.warnings).toEqual([]);
    let seen: string | undefined;
    t.fake.commands.register('probe', (c) => {
      seen = answer(c.pid, 'socket', [16, 3, 12]);
      return { code: 0 };
    });
    await t.runtime.exec(101, { argv: ['probe'], stdio: 'pipe' });
    expect(seen).toBe('EPERM');
  });

  it('refuses a level or a module vzctl does not know, naming the key', async () => {
    t = await fakeVe([nsNetPlugin]);
    await t.create(101);
    expect((await failure(t.runtime.set(101, [{ flag: 'netfilter', arg: 'nat' }], { save: true }))).message)
      .toBe("CT 101: invalid value for NETFILTER (--netfilter): 'nat' is not one of disabled, stateless, stateful, full");
    expect((await failure(t.runtime.set(101, [{ flag: 'iptables', arg: 'xt_bogus' }], { save: true }))).message)
      .toMatch(/^CT 101: invalid value for --iptables: 'xt_bogus' is not one of vzctl's iptables modules/);
  });
});

describe('FEATURES bridge, sit, ipip, ipgre', () => {
  it('on where the kernel has the driver; refused where it has not, and off always (nothing withholds them)', async () => {
    t = await fakeVe([nsNetPlugin], { kernelConfig: { CONFIG_BRIDGE: 'y', CONFIG_NET_IPGRE: 'm' } });
    await t.create(101, { FEATURES: 'bridge:on ipgre:on' });
    await t.runtime.start(101);
    await t.runtime.stop(101, { fast: true });
    expect(await failure(t.runtime.set(101, [{ flag: 'features', arg: 'ipip:on' }], { save: true })))
      .toMatchObject({ code: 'UNSUPPORTED', exit: 5, message: 'CT 101: FEATURES ipip:on: the host kernel has no ipip driver (CONFIG_NET_IPIP)' });
    expect((await failure(t.runtime.set(101, [{ flag: 'features', arg: 'bridge:off' }], { save: true }))).message)
      .toBe("CT 101: FEATURES bridge:off: the VE's root makes bridges in its own network namespace, where it holds CAP_NET_ADMIN; nothing withholds them");
    expect((await t.runtime.config(101)).raw('FEATURES')).toBe('bridge:on ipgre:on');
  });
});
