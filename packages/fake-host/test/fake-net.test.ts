import { describe, expect, it } from 'vitest';
import type { NetnsRef } from '@vzkit/core';
import { LaunchPlan, type Namespace } from '@vzkit/core';
import { FakeHost, errnoOf } from '../src/index.js';

const errno = (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => errnoOf(e));

/** A VE's init in its own network namespace (and pid namespace unless told otherwise). */
async function startVe(fake: FakeHost, namespaces: Namespace[] = ['pid', 'net'], attach: (pid: number) => Promise<void> = async () => {}) {
  fake.fs.seed('/sbin/init', 'ELF', { mode: 0o755 });
  const plan = new LaunchPlan(101);
  for (const ns of namespaces) plan.namespaces.add(ns);
  return (await fake.launcher.start(plan.build(), attach)).pid;
}

/** What ns-net would do for a routed VE: a veth pair, the VE end as eth0, host route and proxy ARP on the LAN. */
async function wire(fake: FakeHost, pid: number) {
  const ve: NetnsRef = { pid };
  await fake.net.addVeth('host', { name: 'veth101.0', peer: 'eth0', peerNs: ve });
  await fake.net.setLink('host', 'veth101.0', { up: true });
  await fake.net.setLink(ve, 'eth0', { up: true });
  await fake.net.addAddress(ve, 'eth0', '198.18.0.101/32');
  await fake.net.addRoute('host', { family: 4, dst: '198.18.0.101/32', dev: 'veth101.0' });
  await fake.net.addProxyNeighbour('host', '198.18.0.101', 'eth0');
  await fake.net.addProxyNeighbour('host', '198.18.0.101', 'veth101.0');
}

describe('FakeNet: devices', () => {
  it('the host has lo up with its addresses; a new netns has only lo, down', async () => {
    const fake = new FakeHost();
    expect(await fake.net.links('host')).toEqual([
      { name: 'lo', index: 1, up: true, noarp: false, loopback: true, mac: '00:00:00:00:00:00', mtu: 65536 },
    ]);
    expect(await fake.net.addresses('host')).toEqual([{ dev: 'lo', family: 4, cidr: '127.0.0.1/8' }, { dev: 'lo', family: 6, cidr: '::1/128' }]);
    const pid = await startVe(fake);
    const ve = { pid };
    expect(await fake.net.links(ve)).toEqual([expect.objectContaining({ name: 'lo', index: 1, up: false })]);
    expect(await fake.net.addresses(ve)).toEqual([]);
    // The kernel gives lo its addresses when it comes up: adding them again is EEXIST.
    await fake.net.setLink(ve, 'lo', { up: true });
    expect((await fake.net.addresses(ve, 'lo')).map((a) => a.cidr)).toEqual(['127.0.0.1/8', '::1/128']);
    expect(await errno(fake.net.addAddress(ve, 'lo', '127.0.0.1/8'))).toBe('EEXIST');
    // A VE without its own network namespace shares the host's.
    const other = new FakeHost();
    const shared = await startVe(other, ['pid']);
    await other.net.addVeth({ pid: shared }, { name: 'v0', peer: 'v1', peerNs: 'host' });
    expect((await other.net.links('host')).map((l) => l.name)).toEqual(['lo', 'v1', 'v0']);
  });

  it('addVeth creates both ends, down, each in its namespace, with per-device sysctls', async () => {
    const fake = new FakeHost();
    const pid = await startVe(fake);
    const ve = { pid };
    await fake.net.addVeth('host', { name: 'veth101.0', peer: 'eth0', peerNs: ve, peerMac: '00:18:51:AA:BB:CC' });
    expect(await fake.net.links('host')).toContainEqual({ name: 'veth101.0', index: 2, up: false, noarp: false, loopback: false, kind: 'veth', mac: expect.stringMatching(/^02:fa:ce:/), mtu: 1500 });
    expect(await fake.net.links(ve)).toContainEqual({ name: 'eth0', index: 2, up: false, noarp: false, loopback: false, kind: 'veth', mac: '00:18:51:aa:bb:cc', mtu: 1500 });
    // Same spec, same MACs: the fake is deterministic.
    const again = new FakeHost();
    await again.net.addVeth('host', { name: 'a', peer: 'b', peerNs: 'host' });
    // The kernel registers the peer first: it gets the lower index.
    expect((await again.net.links('host')).map((l) => `${l.index} ${l.name} ${l.mac}`)).toEqual(['1 lo 00:00:00:00:00:00', '2 b 02:fa:ce:00:00:01', '3 a 02:fa:ce:00:00:02']);

    expect(await fake.net.sysctl(ve, 'net/ipv4/conf/eth0/rp_filter')).toBe('0');
    expect(await fake.net.sysctl(ve, 'net/ipv6/conf/eth0/accept_ra')).toBe('1');
    expect(await fake.net.sysctl('host', 'net/ipv4/conf/eth0/rp_filter')).toBeUndefined();
    expect(await fake.net.sysctl('host', 'net/ipv6/conf/veth101.0/proxy_ndp')).toBe('0');
    // /proc/sys shows them to each namespace.
    expect(fake.sysctl(pid, 'net/ipv4/conf/eth0/arp_ignore')).toBe('0');
    expect(await fake.fs.readdir('/proc/sys/net/ipv4/conf')).toEqual(['all', 'default', 'lo', 'veth101.0']);
  });

  it('refuses taken and invalid names without creating half a pair; ESRCH for a dead process', async () => {
    const fake = new FakeHost();
    const pid = await startVe(fake);
    const ve = { pid };
    await fake.net.addVeth('host', { name: 'veth101.0', peer: 'eth0', peerNs: ve });
    expect(await errno(fake.net.addVeth('host', { name: 'veth101.1', peer: 'eth0', peerNs: ve }))).toBe('EEXIST');
    expect(await errno(fake.net.addVeth('host', { name: 'x', peer: 'x', peerNs: 'host' }))).toBe('EEXIST');
    expect(await errno(fake.net.addVeth('host', { name: 'veth-name-too-long', peer: 'eth1', peerNs: ve }))).toBe('EINVAL');
    expect(await errno(fake.net.addVeth('host', { name: 'a:b', peer: 'eth1', peerNs: ve }))).toBe('EINVAL');
    expect(await errno(fake.net.addVeth('host', { name: 'v', peer: 'eth1', peerNs: ve, mac: '01:00:5e:00:00:01' }))).toBe('EADDRNOTAVAIL');
    expect((await fake.net.links('host')).map((l) => l.name)).toEqual(['lo', 'veth101.0']);
    expect((await fake.net.links(ve)).map((l) => l.name)).toEqual(['lo', 'eth0']);
    await expect(fake.net.addVeth('host', { name: 'v', peer: 'eth1', peerNs: { pid: 999999 } })).rejects.toMatchObject({ code: 'SYSTEM', errno: 'ESRCH' });
    await expect(fake.net.addVeth('host', { name: 'v', peer: 'eth1', peerNs: ve, mac: 'nope' })).rejects.toMatchObject({ code: 'BAD_VALUE' });
    expect(await errno(fake.net.setLink('host', 'nope', { up: true }))).toBe('ENODEV');
    expect(await errno(fake.net.setLink('host', 'veth101.0', { mtu: 10 }))).toBe('EINVAL');
  });

  it('setLink: flags, MAC, MTU and a bridge master in the same namespace', async () => {
    const fake = new FakeHost().addBridge('vzbr0').addHostLink('eth0');
    const pid = await startVe(fake);
    await fake.net.addVeth('host', { name: 'veth101.0', peer: 'eth0', peerNs: { pid } });
    await fake.net.setLink('host', 'veth101.0', { up: true, noarp: true, mac: '02:00:00:00:01:01', mtu: 9000, master: 'vzbr0' });
    expect((await fake.net.links('host')).find((l) => l.name === 'veth101.0')).toMatchObject({ up: true, noarp: true, mac: '02:00:00:00:01:01', mtu: 9000, master: 'vzbr0' });
    expect((await fake.net.links('host')).find((l) => l.name === 'vzbr0')).toMatchObject({ kind: 'bridge', up: true });
    expect(await errno(fake.net.setLink('host', 'veth101.0', { master: 'eth0' }))).toBe('EOPNOTSUPP');
    expect(await errno(fake.net.setLink('host', 'veth101.0', { master: 'br9' }))).toBe('ENODEV');
    // The bridge is in the host's namespace, not the VE's.
    expect(await errno(fake.net.setLink({ pid }, 'eth0', { master: 'vzbr0' }))).toBe('ENODEV');
    await fake.net.setLink('host', 'veth101.0', { master: null });
    expect((await fake.net.links('host')).find((l) => l.name === 'veth101.0')?.master).toBeUndefined();
    // Deleting a bridge releases its ports; lo and physical devices cannot be deleted.
    await fake.net.setLink('host', 'veth101.0', { master: 'vzbr0' });
    expect(await fake.net.deleteLink('host', 'vzbr0')).toBe(true);
    expect((await fake.net.links('host')).find((l) => l.name === 'veth101.0')?.master).toBeUndefined();
    expect(await errno(fake.net.deleteLink('host', 'lo'))).toBe('EOPNOTSUPP');
    expect(await errno(fake.net.deleteLink('host', 'eth0'))).toBe('EOPNOTSUPP');
    expect(await fake.net.deleteLink('host', 'nope')).toBe(false);
  });
});

describe('FakeNet: addresses, routes, proxy neighbours', () => {
  it('addresses are normalized per device; ENODEV, EEXIST; a missing one or device is none', async () => {
    const fake = new FakeHost().addHostLink('eth0');
    await fake.net.addAddress('host', 'eth0', '192.0.2.10/24');
    await fake.net.addAddress('host', 'eth0', '2001:DB8:0:0::10');
    await fake.net.addAddress('host', 'eth0', '192.0.2.10/32');
    expect(await fake.net.addresses('host', 'eth0')).toEqual([
      { dev: 'eth0', family: 4, cidr: '192.0.2.10/24' },
      { dev: 'eth0', family: 4, cidr: '192.0.2.10/32' },
      { dev: 'eth0', family: 6, cidr: '2001:db8::10/128' },
    ]);
    expect(await errno(fake.net.addAddress('host', 'eth0', '192.0.2.10/24'))).toBe('EEXIST');
    expect(await errno(fake.net.addAddress('host', 'eth0', '2001:db8::10/64'))).toBe('EEXIST');
    expect(await errno(fake.net.addAddress('host', 'eth9', '192.0.2.11/32'))).toBe('ENODEV');
    await expect(fake.net.addAddress('host', 'eth0', '192.0.2.300')).rejects.toMatchObject({ code: 'BAD_VALUE' });
    expect(await fake.net.deleteAddress('host', 'eth0', '2001:db8::10')).toBe(true);
    expect(await fake.net.deleteAddress('host', 'eth0', '2001:db8::10')).toBe(false);
    expect(await fake.net.deleteAddress('host', 'eth9', '192.0.2.10/24')).toBe(false);
    expect(await fake.net.addresses('host', 'eth9')).toEqual([]);
  });

  it('routes need their device up (ENETDOWN, both families); EEXIST unless replace; down flushes IPv4', async () => {
    const fake = new FakeHost();
    const pid = await startVe(fake);
    const ve = { pid };
    await fake.net.addVeth('host', { name: 'veth101.0', peer: 'eth0', peerNs: ve });
    expect(await errno(fake.net.addRoute(ve, { family: 4, dst: 'default', dev: 'eth0' }))).toBe('ENETDOWN');
    expect(await errno(fake.net.addRoute(ve, { family: 6, dst: 'default', dev: 'eth0' }))).toBe('ENETDOWN');
    expect(await errno(fake.net.addRoute(ve, { family: 4, dst: 'default', dev: 'eth9' }))).toBe('ENODEV');
    await fake.net.setLink(ve, 'eth0', { up: true });
    await fake.net.addRoute(ve, { family: 4, dst: 'default', dev: 'eth0' });
    await fake.net.addRoute(ve, { family: 6, dst: '::/0', dev: 'eth0' });
    await fake.net.addRoute(ve, { family: 4, dst: '10.1.0.0/16', gateway: '198.18.0.1' });
    await fake.net.addRoute(ve, { family: 6, dst: '2001:db8::5/64', dev: 'eth0' });
    expect(await fake.net.routes(ve)).toEqual([
      { family: 4, dst: 'default', dev: 'eth0', scope: 'link' },
      { family: 4, dst: '10.1.0.0/16', gateway: '198.18.0.1', scope: 'universe' },
      { family: 6, dst: 'default', dev: 'eth0', scope: 'universe' },
      { family: 6, dst: '2001:db8::/64', dev: 'eth0', scope: 'universe' },
    ]);
    expect(await errno(fake.net.addRoute(ve, { family: 4, dst: '0.0.0.0/0', dev: 'eth0' }))).toBe('EEXIST');
    expect(await errno(fake.net.addRoute(ve, { family: 4, dst: '10.1.2.0/16', dev: 'eth0' }))).toBe('EINVAL');
    await fake.net.addRoute(ve, { family: 4, dst: 'default', gateway: '198.18.0.1', dev: 'eth0' }, { replace: true });
    expect(await fake.net.routes(ve, 4)).toContainEqual({ family: 4, dst: 'default', gateway: '198.18.0.1', dev: 'eth0', scope: 'universe' });
    expect(await fake.net.deleteRoute(ve, { family: 4, dst: '10.1.0.0/16', dev: 'eth0' })).toBe(false);
    expect(await fake.net.deleteRoute(ve, { family: 4, dst: '10.1.0.0/16' })).toBe(true);
    expect(await fake.net.deleteRoute(ve, { family: 4, dst: '10.1.0.0/16' })).toBe(false);
    expect(await fake.net.deleteRoute(ve, { family: 4, dst: 'default', dev: 'eth9' })).toBe(false);
    // The kernel flushes the IPv4 routes of a device that goes down.
    await fake.net.setLink(ve, 'eth0', { up: false });
    expect((await fake.net.routes(ve)).map((r) => `${r.family} ${r.dst}`)).toEqual(['6 default', '6 2001:db8::/64']);
  });

  it('routeMatch: own addresses are local, else the longest prefix; link finds one device', async () => {
    const fake = new FakeHost();
    const pid = await startVe(fake);
    const ve = { pid };
    await fake.net.addVeth('host', { name: 'veth101.0', peer: 'eth0', peerNs: ve });
    await fake.net.setLink(ve, 'eth0', { up: true });
    await fake.net.addAddress(ve, 'eth0', '198.18.0.5/32');
    await fake.net.addRoute(ve, { family: 4, dst: 'default', dev: 'eth0' });
    await fake.net.addRoute(ve, { family: 4, dst: '10.1.0.0/16', dev: 'eth0' });
    await fake.net.addRoute(ve, { family: 4, dst: '10.1.2.3/32', dev: 'eth0' });
    expect(await fake.net.routeMatch(ve, '198.18.0.5')).toMatchObject({ dst: '198.18.0.5/32', dev: 'eth0', local: true });
    expect(await fake.net.routeMatch(ve, '10.1.2.3')).toMatchObject({ dst: '10.1.2.3/32', local: false });
    expect(await fake.net.routeMatch(ve, '10.1.9.9')).toMatchObject({ dst: '10.1.0.0/16', local: false });
    expect(await fake.net.routeMatch(ve, '192.0.2.1')).toMatchObject({ dst: 'default', local: false });
    expect(await fake.net.routeMatch(ve, '2001:db8::1')).toBeUndefined();
    expect(await fake.net.link('host', 'veth101.0')).toMatchObject({ name: 'veth101.0', kind: 'veth' });
    expect(await fake.net.link('host', 'eth0')).toBeUndefined();
  });

  it('proxy neighbours: on an existing device, idempotent, false when missing', async () => {
    const fake = new FakeHost().addHostLink('eth0');
    await fake.net.addProxyNeighbour('host', '198.18.0.101', 'eth0');
    await fake.net.addProxyNeighbour('host', '198.18.0.101', 'eth0');
    await fake.net.addProxyNeighbour('host', '2001:DB8::65', 'eth0');
    expect(await fake.net.proxyNeighbours('host')).toEqual([{ ip: '198.18.0.101', dev: 'eth0' }, { ip: '2001:db8::65', dev: 'eth0' }]);
    expect(await errno(fake.net.addProxyNeighbour('host', '198.18.0.102', 'eth1'))).toBe('ENODEV');
    expect(await fake.net.deleteProxyNeighbour('host', '2001:db8::65', 'eth0')).toBe(true);
    expect(await fake.net.deleteProxyNeighbour('host', '2001:db8::65', 'eth0')).toBe(false);
    expect(await fake.net.deleteProxyNeighbour('host', '198.18.0.101', 'eth1')).toBe(false);
  });
});

describe('FakeNet: lifetimes', () => {
  it('deleting either end of a veth deletes both, with their addresses, routes, neighbours and sysctls', async () => {
    const fake = new FakeHost().addHostLink('eth0');
    const pid = await startVe(fake);
    await wire(fake, pid);
    expect(await fake.net.deleteLink({ pid }, 'eth0')).toBe(true);
    expect((await fake.net.links('host')).map((l) => l.name)).toEqual(['lo', 'eth0']);
    expect((await fake.net.links({ pid })).map((l) => l.name)).toEqual(['lo']);
    expect(await fake.net.routes('host')).toEqual([]);
    expect(await fake.net.addresses({ pid })).toEqual([]);
    // The entry on the LAN device stays: only those on the deleted device go.
    expect(await fake.net.proxyNeighbours('host')).toEqual([{ ip: '198.18.0.101', dev: 'eth0' }]);
    expect(await fake.net.sysctl('host', 'net/ipv4/conf/veth101.0/forwarding')).toBeUndefined();
    expect(await errno(fake.net.setSysctl('host', 'net/ipv4/conf/veth101.0/forwarding', '1'))).toBe('ENOENT');
  });

  it('the death of a VE destroys its netns and the host ends of its veths', async () => {
    const fake = new FakeHost().addHostLink('eth0');
    const pid = await startVe(fake);
    await wire(fake, pid);
    const daemon = fake.processes.spawn(pid, ['/usr/sbin/sshd']);
    expect(await fake.processes.signal(pid, 'SIGKILL')).toBe(true);
    expect(fake.process(daemon)?.alive).toBe(false);
    expect((await fake.net.links('host')).map((l) => l.name)).toEqual(['lo', 'eth0']);
    expect(await fake.net.routes('host')).toEqual([]);
    expect(await fake.net.proxyNeighbours('host')).toEqual([{ ip: '198.18.0.101', dev: 'eth0' }]);
    await expect(fake.net.links({ pid })).rejects.toMatchObject({ errno: 'ESRCH' });
  });

  it('a netns lives while any process is in it, not only its first', async () => {
    const fake = new FakeHost();
    // No pid namespace: init's death does not take the others along.
    const pid = await startVe(fake, ['net']);
    await fake.net.addVeth('host', { name: 'veth101.0', peer: 'eth0', peerNs: { pid } });
    const other = fake.processes.spawn(pid);
    fake.processes.exit(pid);
    expect((await fake.net.links({ pid: other })).map((l) => l.name)).toEqual(['lo', 'eth0']);
    expect((await fake.net.links('host')).map((l) => l.name)).toContain('veth101.0');
    fake.processes.exit(other);
    expect((await fake.net.links('host')).map((l) => l.name)).toEqual(['lo']);
  });

  it('a launch whose attach wired a veth and then failed leaves nothing behind', async () => {
    const fake = new FakeHost();
    const boom = new Error('attach failed');
    const start = startVe(fake, ['pid', 'net'], async (pid) => {
      await fake.net.addVeth('host', { name: 'veth101.0', peer: 'eth0', peerNs: { pid } });
      throw boom;
    });
    await expect(start).rejects.toBe(boom);
    expect((await fake.net.links('host')).map((l) => l.name)).toEqual(['lo']);
  });
});

describe('FakeNet: sysctls and faults', () => {
  it('per namespace, slash form; ip_forward and conf/all/forwarding are one knob', async () => {
    const fake = new FakeHost().addHostLink('eth0');
    const pid = await startVe(fake);
    await fake.net.addVeth('host', { name: 'veth101.0', peer: 'eth0', peerNs: { pid } });
    expect(await fake.net.sysctl('host', 'net/ipv4/conf/all/proxy_arp')).toBe('0');
    expect(await fake.net.sysctl('host', 'net/ipv6/conf/all/proxy_ndp')).toBe('0');
    expect(await fake.net.sysctl('host', '/proc/sys/net/ipv4/ip_forward')).toBe('0');
    // Slash form only, as LinuxHost: a device name may hold dots.
    await expect(fake.net.sysctl('host', 'net.ipv4.ip_forward')).rejects.toThrow(/not a net sysctl/);
    await expect(fake.net.setSysctl('host', 'kernel/hostname', 'x')).rejects.toThrow(/not a net sysctl/);
    await expect(fake.net.setSysctl('host', 'net/ipv4/nope', '1')).rejects.toMatchObject({ code: 'SYSTEM', errno: 'ENOENT', path: '/proc/sys/net/ipv4/nope' });
    expect(await errno(fake.net.setSysctl('host', 'net/ipv4/ip_forward', 'yes'))).toBe('EINVAL');

    await fake.net.setSysctl('host', 'net/ipv4/ip_forward', '1');
    for (const key of ['all', 'default', 'eth0', 'veth101.0']) expect(await fake.net.sysctl('host', `net/ipv4/conf/${key}/forwarding`)).toBe('1');
    expect(await fake.net.sysctl({ pid }, 'net/ipv4/ip_forward')).toBe('0');
    // Written through /proc/sys the coupling holds too.
    await fake.fs.writeFile('/proc/sys/net/ipv4/conf/all/forwarding', '0\n');
    expect(await fake.net.sysctl('host', 'net/ipv4/ip_forward')).toBe('0');
    await fake.net.setSysctl('host', 'net/ipv6/conf/all/forwarding', '1');
    expect(await fake.net.sysctl('host', 'net/ipv6/conf/eth0/forwarding')).toBe('1');

    // A device set alone; new devices start from conf/default.
    await fake.net.setSysctl('host', 'net/ipv4/conf/eth0/proxy_arp', '1');
    expect(await fake.net.sysctl('host', 'net/ipv4/conf/veth101.0/proxy_arp')).toBe('0');
    await fake.net.setSysctl({ pid }, 'net/ipv4/conf/default/rp_filter', '2');
    await fake.net.addVeth({ pid }, { name: 'x0', peer: 'x1', peerNs: { pid } });
    expect(await fake.net.sysctl({ pid }, 'net/ipv4/conf/x1/rp_filter')).toBe('2');
    expect(await fake.net.sysctl('host', 'net/ipv4/conf/default/rp_filter')).toBe('0');
  });

  it('failNext makes the next net call fail, optionally on one device or key', async () => {
    const fake = new FakeHost().addHostLink('eth0');
    const pid = await startVe(fake);
    fake.failNext('net.addVeth', 'ENOMEM', { path: 'veth101.0' });
    await fake.net.addVeth('host', { name: 'veth102.0', peer: 'eth0', peerNs: { pid } });
    await expect(fake.net.addVeth('host', { name: 'veth101.0', peer: 'eth1', peerNs: { pid } })).rejects.toMatchObject({ code: 'SYSTEM', errno: 'ENOMEM' });
    expect((await fake.net.links({ pid })).map((l) => l.name)).toEqual(['lo', 'eth0']);
    fake.failNext('net.setLink', 'EBUSY').failNext('net.addAddress', 'EACCES').failNext('net.addRoute', 'ENETUNREACH', { path: 'default' })
      .failNext('net.addProxyNeighbour', 'ENOBUFS', { path: 'eth0' }).failNext('net.setSysctl', 'EPERM', { path: 'net/ipv4/ip_forward' })
      .failNext('net.deleteLink', 'EBUSY');
    expect(await errno(fake.net.setLink('host', 'eth0', { up: true }))).toBe('EBUSY');
    expect(await errno(fake.net.addAddress('host', 'eth0', '192.0.2.1/24'))).toBe('EACCES');
    expect(await errno(fake.net.addRoute('host', { family: 4, dst: 'default', gateway: '192.0.2.254' }))).toBe('ENETUNREACH');
    expect(await errno(fake.net.addProxyNeighbour('host', '192.0.2.9', 'eth0'))).toBe('ENOBUFS');
    expect(await errno(fake.net.setSysctl('host', 'net/ipv4/ip_forward', '1'))).toBe('EPERM');
    expect(await errno(fake.net.deleteLink('host', 'veth102.0'))).toBe('EBUSY');
    expect(fake.pendingFaults()).toEqual([]);
    // Nothing changed: each failed before the kernel did anything.
    expect(await fake.net.addresses('host', 'eth0')).toEqual([]);
    expect(await fake.net.sysctl('host', 'net/ipv4/ip_forward')).toBe('0');
    expect((await fake.net.links('host')).map((l) => l.name)).toEqual(['lo', 'eth0', 'veth102.0']);
  });
});

describe('link counters', () => {
  it('counts what a veth end sends as received by its peer, and drops on a link that is down', async () => {
    const fake = new FakeHost();
    await fake.net.addVeth('host', { name: 'vh0', peer: 'vp0', peerNs: 'host' });
    await fake.net.setLink('host', 'vh0', { up: true });
    fake.net.transmit('host', 'vh0', 1000, 2);
    expect((await fake.net.linkStats('host')).get('vh0')).toMatchObject({ txDropped: 2, txBytes: 0 });
    await fake.net.setLink('host', 'vp0', { up: true });
    fake.net.transmit('host', 'vh0', 1000, 2);
    fake.net.transmit('host', 'vp0', 300);
    const stats = await fake.net.linkStats('host');
    expect(stats.get('vh0')).toMatchObject({ txBytes: 1000, txPackets: 2, rxBytes: 300, rxPackets: 1 });
    expect(stats.get('vp0')).toMatchObject({ txBytes: 300, rxBytes: 1000, rxPackets: 2 });
    expect(stats.get('lo')).toMatchObject({ rxBytes: 0 });
  });
});
