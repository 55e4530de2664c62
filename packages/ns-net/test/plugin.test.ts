import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { failure, fakeVe, type FakeVe } from '@vzkit/fake-host';
import { nsNetPlugin } from '../src/index.js';

let t: FakeVe;
beforeEach(async () => {
  t = await fakeVe([nsNetPlugin]);
  // What a host has: a LAN device, a global address, forwarding on.
  t.fake.addHostLink('eth0');
  await t.fake.net.addAddress('host', 'eth0', '192.0.2.10/24');
  await t.fake.net.setSysctl('host', 'net/ipv4/ip_forward', '1');
});
afterEach(async () => {
  await t.cleanup();
});

const links = async (ns: 'host' | { pid: number }) => (await t.fake.net.links(ns)).map((l) => l.name);

describe('start', () => {
  it('gives the VE its own network namespace with lo up, and venet0 even without addresses (as OpenVZ), no route', async () => {
    await t.create(101);
    const pid = await t.runtime.start(101);
    expect(t.fake.process(pid)!.namespaces.net).not.toBe(t.fake.process(t.fake.selfPid)!.namespaces.net);
    expect(await t.fake.net.links({ pid })).toEqual([
      expect.objectContaining({ name: 'lo', up: true }), expect.objectContaining({ name: 'venet0', up: true, noarp: true }),
    ]);
    expect(await links('host')).toEqual(['lo', 'eth0', 'venet101']);
    expect((await t.fake.net.routes('host')).filter((r) => r.dev === 'venet101')).toEqual([]);
    expect(await t.fake.net.addresses({ pid }, 'venet0')).toEqual([]);
    expect(t.plan()!.writableProcSys).toEqual(new Set(['net']));
  });

  it('routes each address to the VE over a venet pair without ARP, with rp_filter on the host end', async () => {
    await t.create(101, { IP_ADDRESS: '198.18.0.1 198.18.0.2/24 2001:db8::1' });
    const pid = await t.runtime.start(101);
    const ve = { pid };
    const inside = (await t.fake.net.links(ve)).find((l) => l.name === 'venet0')!;
    const host = (await t.fake.net.links('host')).find((l) => l.name === 'venet101')!;
    expect(inside).toMatchObject({ up: true, noarp: true });
    expect(host).toMatchObject({ up: true, noarp: true, mac: inside.mac });
    expect((await t.fake.net.addresses(ve, 'venet0')).map((a) => a.cidr)).toEqual(['198.18.0.1/32', '198.18.0.2/24', '2001:db8::1/128']);
    expect(await t.fake.net.routes(ve)).toEqual(expect.arrayContaining([
      expect.objectContaining({ family: 4, dst: 'default', dev: 'venet0' }),
      expect.objectContaining({ family: 6, dst: 'default', dev: 'venet0' }),
    ]));
    expect((await t.fake.net.routes('host')).filter((r) => r.dev === 'venet101').map((r) => r.dst).sort())
      .toEqual(['198.18.0.1/32', '198.18.0.2/32', '2001:db8::1/128']);
    expect(await t.fake.net.sysctl('host', 'net/ipv4/conf/venet101/rp_filter')).toBe('1');
    // IPv6 has no rp_filter: the host checks the sources of everything from venet*.
    expect(t.fake.net.checkedSources('host')).toEqual(['venet']);
    expect(await t.fake.net.sysctl('host', 'net/ipv6/conf/venet101/disable_ipv6')).toBe('0');
    // Under a VZKIT_ROOT nobody answers for the VE on the machine's LAN.
    expect(await t.fake.net.proxyNeighbours('host')).toEqual([]);
  });

  it('answers ARP/NDP for VE addresses on NEIGHBOUR_DEVS, and removes the entries at stop', async () => {
    await t.create(101, { IP_ADDRESS: '198.18.0.1 2001:db8::1', NEIGHBOUR_DEVS: 'eth0' });
    await t.runtime.start(101);
    expect(await t.fake.net.proxyNeighbours('host')).toEqual([{ ip: '198.18.0.1', dev: 'eth0' }, { ip: '2001:db8::1', dev: 'eth0' }]);
    expect(await t.fake.net.sysctl('host', 'net/ipv6/conf/eth0/proxy_ndp')).toBe('1');
    await t.runtime.stop(101, { fast: true });
    expect(await t.fake.net.proxyNeighbours('host')).toEqual([]);
    expect(await links('host')).toEqual(['lo', 'eth0']);
    expect((await t.fake.net.routes('host')).filter((r) => r.dst.startsWith('198.18.'))).toEqual([]);
  });

  it('refuses an address a running VE has (IP_INUSE, exit 78) and one of the host itself', async () => {
    await t.create(101, { IP_ADDRESS: '198.18.0.1' });
    await t.create(102, { IP_ADDRESS: '198.18.0.1' });
    await t.create(103, { IP_ADDRESS: '192.0.2.10' });
    await t.runtime.start(101);
    const e = await failure(t.runtime.start(102));
    expect([e.code, e.exit, e.message]).toEqual(['IP_INUSE', 78, 'CT 102: address 198.18.0.1 is in use by CT 101']);
    expect(await links('host')).not.toContain('venet102');
    const h = await failure(t.runtime.start(103));
    expect([h.code, h.message]).toEqual(['IP_INUSE', 'CT 103: 192.0.2.10 is an address of the host (eth0)']);
    expect(await links('host')).not.toContain('venet103');
    expect((await t.runtime.status(103)).running).toBe(false);
  });

  it('a failure halfway leaves no device, route or proxy entry', async () => {
    await t.create(101, { IP_ADDRESS: '198.18.0.1 198.18.0.2', NEIGHBOUR_DEVS: 'eth0' });
    t.fake.failNext('net.addProxyNeighbour', 'ENOBUFS');
    const e = await failure(t.runtime.start(101));
    expect(e.message).toContain('answer for 198.18.0.1 on eth0');
    expect(await links('host')).toEqual(['lo', 'eth0']);
    expect(await t.fake.net.proxyNeighbours('host')).toEqual([]);
    expect((await t.fake.net.routes('host')).filter((r) => r.dst.startsWith('198.18.'))).toEqual([]);
  });

  it('keeps IPv6 off on the host end of a VE without IPv6 addresses', async () => {
    await t.create(101, { IP_ADDRESS: '198.18.0.1' });
    await t.runtime.start(101);
    expect(await t.fake.net.sysctl('host', 'net/ipv6/conf/venet101/disable_ipv6')).toBe('1');
  });

  it('refuses IPv6 addresses, with the reason, where the host cannot check sources', async () => {
    await t.create(101, { IP_ADDRESS: '198.18.0.1 2001:db8::1' });
    t.fake.failNext('net.checkSources', 'ENOENT');
    const e = await failure(t.runtime.start(101));
    expect(e.message).toMatch(/^CT 101: IPv6 addresses need the host to check packet sources/);
    expect(await links('host')).toEqual(['lo', 'eth0']);
  });

  it('warns once that forwarding is off instead of changing the host under a VZKIT_ROOT', async () => {
    await t.fake.net.setSysctl('host', 'net/ipv4/ip_forward', '0');
    await t.create(101, { IP_ADDRESS: '198.18.0.1' });
    await t.runtime.start(101);
    expect(await t.fake.net.sysctl('host', 'net/ipv4/ip_forward')).toBe('0');
    expect(t.warnings.join('\n')).toMatch(/net\.ipv4\.ip_forward is 0/);
  });
});

describe('set', () => {
  it('--ipadd and --ipdel change a running VE at once', async () => {
    await t.create(101);
    const pid = await t.runtime.start(101);
    await t.runtime.set(101, [{ flag: 'ipadd', arg: '198.18.0.1' }, { flag: 'ipadd', arg: '198.18.0.2' }]);
    expect((await t.fake.net.addresses({ pid }, 'venet0')).map((a) => a.cidr)).toEqual(['198.18.0.1/32', '198.18.0.2/32']);
    await t.runtime.set(101, [{ flag: 'ipdel', arg: '198.18.0.1' }]);
    expect((await t.fake.net.addresses({ pid }, 'venet0')).map((a) => a.cidr)).toEqual(['198.18.0.2/32']);
    expect((await t.fake.net.routes('host')).filter((r) => r.dev === 'venet101').map((r) => r.dst)).toEqual(['198.18.0.2/32']);
    const e = await failure(t.runtime.set(101, [{ flag: 'ipdel', arg: '198.18.0.9' }]));
    expect([e.code, e.exit]).toEqual(['BAD_IP', 71]);
    expect(e.message).toBe('CT 101: invalid value for --ipdel: 198.18.0.9 is not an address of this VE');
  });

  it('adds and removes veth interfaces live, with the host end in its bridge', async () => {
    t.fake.addBridge('br0');
    await t.create(101);
    const pid = await t.runtime.start(101);
    await t.runtime.set(101, [{ flag: 'netif_add', arg: 'eth0,,,,br0' }]);
    const host = (await t.fake.net.links('host')).find((l) => l.name === 'veth101.0')!;
    expect(host).toMatchObject({ up: true, master: 'br0' });
    const eth0 = (await t.fake.net.links({ pid })).find((l) => l.name === 'eth0')!;
    expect(eth0.mac).toMatch(/^00:18:51:/);
    const e = await failure(t.runtime.set(101, [{ flag: 'netif_add', arg: 'eth1,,,,nobridge' }]));
    expect([e.code, e.exit]).toEqual(['VETH_ERROR', 130]);
    await t.runtime.set(101, [{ flag: 'netif_del', arg: 'eth0' }]);
    expect(await links('host')).not.toContain('veth101.0');
    expect(await links({ pid })).not.toContain('eth0');
  });

  it('writes NAMESERVER and SEARCHDOMAIN into the guest, keeping its other lines', async () => {
    await t.create(101, { NAMESERVER: '198.18.0.53', SEARCHDOMAIN: 'example.com' });
    const root = `${t.runtime.paths.root}/101`;
    t.fake.fs.seed(`${root}/etc/resolv.conf`, 'options ndots:2\nnameserver 9.9.9.9\n');
    await t.runtime.start(101);
    expect(t.fake.fs.read(`${root}/etc/resolv.conf`)).toBe('search example.com\noptions ndots:2\nnameserver 198.18.0.53\n');
    await t.runtime.set(101, [{ flag: 'nameserver', arg: '198.18.0.54' }]);
    expect(t.fake.fs.read(`${root}/etc/resolv.conf`)).toBe('search example.com\noptions ndots:2\nnameserver 198.18.0.54\n');
  });
});

describe('vzlist', () => {
  it('shows the addresses in the ip column', async () => {
    await t.create(101, { IP_ADDRESS: '198.18.0.1/24 2001:db8::1' });
    const field = nsNetPlugin.listFields!.find((f) => f.name === 'ip')!;
    const [row] = await t.runtime.list({ ctids: [101] });
    expect(field.get(row!)).toEqual(['198.18.0.1', '2001:db8::1']);
  });
});
