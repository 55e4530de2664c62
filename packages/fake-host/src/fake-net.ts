/**
 * The NetService of the fake kernel: rtnetlink over the devices, addresses, routes,
 * proxy neighbours and sysctls each NetNs holds (fake-namespaces.ts). It fails as the
 * kernel does: ENODEV for a missing device, EEXIST for a taken name, address or route,
 * ENETDOWN for a route over a device that is down, ESRCH for the namespace of a process
 * that is gone. Bad addresses are BAD_VALUE before any kernel call, and deleting what
 * is missing (a device included) answers false, as in LinuxHost.
 */
import { isIPv4, isIPv6, SocketAddress } from 'node:net';
import { vzError, type LinkStats, type NetAddress, type NetLink, type NetRoute, type NetService, type NetnsRef, type RouteMatch, type VethSpec } from '@vzkit/core';
import { fault, kernelError, KernelFault, type FaultTarget } from './fake-errors.js';
import type { FakeKernel } from './fake-kernel.js';
import type { FakeLink, NetNs } from './fake-namespaces.js';
import type { FakeProcess } from './fake-process.js';
import { sysctlWrite } from './fake-procfs.js';

interface Ip {
  family: 4 | 6;
  /** Network-order bytes, 4 or 16. */
  bytes: number[];
}

function ipv6Bytes(text: string): number[] {
  let s = text;
  // A trailing dotted quad (::ffff:192.0.2.1) is the last two groups.
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    s = `${s.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const groups = (part: string | undefined) => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const [head, tail] = s.split('::');
  const h = groups(head);
  const t = groups(tail);
  const all = tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  return all.flatMap((g) => [g >> 8, g & 0xff]);
}

function parseIp(text: string): Ip {
  if (isIPv4(text)) return { family: 4, bytes: text.split('.').map(Number) };
  if (isIPv6(text) && !text.includes('%')) return { family: 6, bytes: ipv6Bytes(text) };
  throw vzError('BAD_VALUE', `not an IP address: ${text}`);
}

/** IPv6 in the kernel's (inet_ntop's) compressed form. */
function formatIp(ip: Ip): string {
  if (ip.family === 4) return ip.bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((ip.bytes[i] ?? 0) << 8) | (ip.bytes[i + 1] ?? 0)).toString(16));
  return new SocketAddress({ address: groups.join(':'), family: 'ipv6' }).address;
}

/** `198.18.0.1/32`, `fd00::1/64`, or a bare address (a host prefix). */
function parsePrefix(cidr: string): Ip & { len: number } {
  const slash = cidr.indexOf('/');
  const ip = parseIp(slash < 0 ? cidr : cidr.slice(0, slash));
  const max = ip.family === 4 ? 32 : 128;
  const lenText = slash < 0 ? String(max) : cidr.slice(slash + 1);
  const len = /^\d{1,3}$/.test(lenText) ? Number(lenText) : NaN;
  if (!(len <= max)) throw vzError('BAD_VALUE', `bad prefix length in ${cidr} (0-${max})`);
  return { ...ip, len };
}

/** `198.18.0.1/32` for `198.18.0.1`, `2001:db8::1/128` for `2001:DB8:0::1`. */
export function normalizeCidr(cidr: string): { family: 4 | 6; cidr: string } {
  const p = parsePrefix(cidr);
  return { family: p.family, cidr: `${formatIp(p)}/${p.len}` };
}

/**
 * A route's destination as the kernel stores it: `default` for the zero prefix. Host
 * bits are EINVAL for IPv4 (fib_table_insert) and masked off for IPv6 (ip6_route_add).
 */
function routeDst(route: NetRoute): string {
  if (route.dst === 'default') return 'default';
  const p = parsePrefix(route.dst);
  if (p.family !== route.family) throw vzError('BAD_VALUE', `route ${route.dst} is not IPv${route.family}`);
  if (p.len === 0) return 'default';
  const masked = p.bytes.map((b, i) => b & (0xff << (8 - Math.max(0, Math.min(8, p.len - i * 8)))) & 0xff);
  if (p.family === 4 && masked.some((b, i) => b !== p.bytes[i])) throw fault('EINVAL');
  return `${formatIp({ family: p.family, bytes: masked })}/${p.len}`;
}

/** Whether `ip` lies in the route's destination (`default` holds every address of its family). */
function covers(route: NetRoute, ip: Ip): number {
  if (route.family !== ip.family) return -1;
  if (route.dst === 'default') return 0;
  const p = parsePrefix(route.dst);
  for (let bit = 0; bit < p.len; bit++) {
    const mask = 0x80 >> (bit % 8);
    if (((p.bytes[bit >> 3] ?? 0) & mask) !== ((ip.bytes[bit >> 3] ?? 0) & mask)) return -1;
  }
  return p.len;
}

/** `aa:bb:cc:dd:ee:ff` (lower case); EADDRNOTAVAIL for multicast or all-zero, as is_valid_ether_addr. */
function normalizeMac(mac: string): string {
  const parts = mac.split(/[:-]/);
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{1,2}$/.test(p))) throw vzError('BAD_VALUE', `not a MAC address: ${mac}`);
  const bytes = parts.map((p) => parseInt(p, 16));
  if ((bytes[0]! & 1) === 1 || bytes.every((b) => b === 0)) throw fault('EADDRNOTAVAIL');
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** dev_validate_mtu: the IPv4 minimum up to the Ethernet maximum (loopback has no maximum). */
function checkMtu(mtu: number, loopback = false): void {
  if (!Number.isInteger(mtu) || mtu < 68 || (!loopback && mtu > 65535)) throw fault('EINVAL');
}

/** `net/ipv4/ip_forward` (a leading `/proc/sys/` is dropped); only net keys, as LinuxHost takes. */
function netSysctlKey(key: string): string {
  const rel = key.replace(/^\/?(proc\/sys\/)?/, '');
  // Slash form only: a device name may hold dots (`veth101.0`).
  if (!/^net\/[A-Za-z0-9_.\-/]+$/.test(rel) || rel.includes('..')) throw new Error(`not a net sysctl: ${key}`);
  return rel;
}

export class FakeNet implements NetService {
  private macs = 0;

  constructor(private readonly k: FakeKernel) {}

  /** The process whose network namespace `ref` names: the caller (vzctl) for `host`. */
  private procOf(ref: NetnsRef): FakeProcess {
    if (ref === 'host') return this.k.self;
    const p = this.k.processes.get(ref.pid);
    if (!p?.alive) throw kernelError('SYSTEM', `enter network namespace of pid ${ref.pid}`, 'ESRCH');
    return p;
  }

  private nsOf(ref: NetnsRef): NetNs {
    return this.procOf(ref).ns.net;
  }

  /** Runs one call: armed faults first, kernel faults become VzErrors (SYSTEM, errno) as LinuxHost's. */
  private call<T>(target: FaultTarget | undefined, path: string | undefined, what: string, fn: () => T): T {
    try {
      if (target) this.k.faults.check(target, path);
      return fn();
    } catch (e) {
      if (e instanceof KernelFault) throw kernelError('SYSTEM', what, e.errno);
      throw e;
    }
  }

  private dev(ns: NetNs, name: string): FakeLink {
    const link = ns.links.get(name);
    if (!link) throw fault('ENODEV', name);
    return link;
  }

  /** A locally administered unicast MAC, the same on every run of a test. */
  private nextMac(): string {
    const n = ++this.macs;
    return `02:fa:ce:${[n >> 16, n >> 8, n].map((b) => (b & 0xff).toString(16).padStart(2, '0')).join(':')}`;
  }

  // --- NetService ------------------------------------------------------------------

  async links(ns: NetnsRef): Promise<NetLink[]> {
    return [...this.nsOf(ns).links.values()].sort((a, b) => a.index - b.index).map((l) => l.view());
  }

  async linkStats(ns: NetnsRef): Promise<Map<string, LinkStats>> {
    return new Map([...this.nsOf(ns).links.values()].map((l) => [l.name, { ...l.counters }]));
  }

  /**
   * A test's traffic: `packets` frames of `bytes` in all sent out of `dev` in `ns`. As on
   * a veth pair, what one end sends the other receives while both are up; a frame sent
   * on a device that is down, or whose peer is down, is dropped (tx_dropped).
   */
  transmit(ns: NetnsRef, dev: string, bytes: number, packets = 1): void {
    const link = this.dev(this.nsOf(ns), dev);
    if (!link.up || (link.peer && !link.peer.up)) {
      link.counters.txDropped += packets;
      return;
    }
    link.counters.txBytes += bytes;
    link.counters.txPackets += packets;
    if (link.peer) {
      link.peer.counters.rxBytes += bytes;
      link.peer.counters.rxPackets += packets;
    }
  }

  async link(ns: NetnsRef, name: string): Promise<NetLink | undefined> {
    return this.nsOf(ns).links.get(name)?.view();
  }

  /** The namespace's own addresses first (the kernel's local table), then the longest prefix. */
  async routeMatch(ns: NetnsRef, ip: string): Promise<RouteMatch | undefined> {
    const net = this.nsOf(ns);
    const target = parseIp(ip);
    const text = formatIp(target);
    const own = net.addresses.find((a) => a.cidr.split('/')[0] === text);
    if (own) return { family: target.family, dst: `${text}/${target.family === 4 ? 32 : 128}`, dev: own.dev, local: true };
    let best: NetRoute | undefined;
    let bestLen = -1;
    for (const r of net.routes) {
      const len = covers(r, target);
      if (len > bestLen) [best, bestLen] = [r, len];
    }
    return best ? { ...best, local: false } : undefined;
  }

  async addVeth(ns: NetnsRef, spec: VethSpec): Promise<void> {
    this.call('net.addVeth', spec.name, `create veth pair ${spec.name}/${spec.peer}`, () => {
      const here = this.nsOf(ns);
      const there = this.nsOf(spec.peerNs);
      if (spec.mtu !== undefined) checkMtu(spec.mtu);
      const mac = spec.mac === undefined ? undefined : normalizeMac(spec.mac);
      const peerMac = spec.peerMac === undefined ? undefined : normalizeMac(spec.peerMac);
      // Both names are checked before either end exists: the pair appears whole or not at all.
      if (here.links.has(spec.name) || there.links.has(spec.peer) || (here === there && spec.name === spec.peer)) throw fault('EEXIST');
      const mtu = spec.mtu ?? 1500;
      const peer = there.addLink(spec.peer, { mac: peerMac ?? this.nextMac(), mtu, kind: 'veth' });
      let end: FakeLink;
      try {
        end = here.addLink(spec.name, { mac: mac ?? this.nextMac(), mtu, kind: 'veth' });
      } catch (e) {
        there.removeLink(peer);
        throw e;
      }
      end.peer = peer;
      peer.peer = end;
    });
  }

  async setLink(ns: NetnsRef, dev: string, opts: { up?: boolean; noarp?: boolean; mac?: string; mtu?: number; master?: string | null }): Promise<void> {
    this.call('net.setLink', dev, `set link ${dev}`, () => {
      const net = this.nsOf(ns);
      const link = this.dev(net, dev);
      // One change at a time in LinuxHost's order (a request each): a failure keeps the earlier ones.
      if (opts.mac !== undefined) link.mac = normalizeMac(opts.mac);
      if (opts.mtu !== undefined) {
        checkMtu(opts.mtu, link.loopback);
        link.mtu = opts.mtu;
      }
      if (opts.noarp !== undefined) link.noarp = opts.noarp;
      if (opts.master) {
        const master = net.links.get(opts.master);
        if (!master) throw fault('ENODEV', opts.master);
        // Only a bridge takes ports (others have no ndo_add_slave); br_add_if refuses lo and bridges.
        if (master.kind !== 'bridge') throw fault('EOPNOTSUPP', opts.master);
        if (link.loopback) throw fault('EINVAL', dev);
        if (link.kind === 'bridge') throw fault('ELOOP', dev);
      }
      if (opts.master !== undefined) link.master = opts.master ?? undefined;
      if (opts.up !== undefined) net.setUp(link, opts.up);
    });
  }

  async deleteLink(ns: NetnsRef, dev: string): Promise<boolean> {
    return this.call('net.deleteLink', dev, `delete link ${dev}`, () => {
      const net = this.nsOf(ns);
      const link = net.links.get(dev);
      if (!link) return false;
      // lo and physical devices have no rtnl_link_ops: only created devices can be deleted.
      if (!link.kind) throw fault('EOPNOTSUPP', dev);
      net.removeLink(link);
      return true;
    });
  }

  /** Of one device or all; none for a missing device (as LinuxHost). */
  async addresses(ns: NetnsRef, dev?: string): Promise<NetAddress[]> {
    const net = this.nsOf(ns);
    const index = (a: NetAddress) => net.links.get(a.dev)?.index ?? 0;
    // As a dump: IPv4, then IPv6, each by device.
    return net.addresses
      .filter((a) => dev === undefined || a.dev === dev)
      .sort((a, b) => a.family - b.family || index(a) - index(b))
      .map((a) => ({ ...a }));
  }

  async addAddress(ns: NetnsRef, dev: string, cidr: string): Promise<void> {
    const a = normalizeCidr(cidr);
    this.call('net.addAddress', dev, `add address ${a.cidr} to ${dev}`, () => {
      const net = this.nsOf(ns);
      this.dev(net, dev);
      // IPv4 keys an address on local+prefix (inet_insert_ifa), IPv6 on the address alone.
      const ip = (c: string) => c.slice(0, c.indexOf('/'));
      const same = (b: NetAddress) => (a.family === 4 ? b.cidr === a.cidr : ip(b.cidr) === ip(a.cidr));
      if (net.addresses.some((b) => b.dev === dev && b.family === a.family && same(b))) throw fault('EEXIST');
      net.addresses.push({ dev, family: a.family, cidr: a.cidr });
    });
  }

  async deleteAddress(ns: NetnsRef, dev: string, cidr: string): Promise<boolean> {
    const a = normalizeCidr(cidr);
    return this.call(undefined, dev, `delete address ${a.cidr} from ${dev}`, () => {
      const net = this.nsOf(ns);
      const i = net.addresses.findIndex((b) => b.dev === dev && b.cidr === a.cidr);
      if (i < 0) return false;
      net.addresses.splice(i, 1);
      return true;
    });
  }

  async routes(ns: NetnsRef, family?: 4 | 6): Promise<NetRoute[]> {
    return this.nsOf(ns).routes
      .filter((r) => family === undefined || r.family === family)
      .sort((a, b) => a.family - b.family)
      .map((r) => ({ ...r }));
  }

  async addRoute(ns: NetnsRef, route: NetRoute, opts: { replace?: boolean } = {}): Promise<void> {
    const gateway = route.gateway === undefined ? undefined : parseIp(route.gateway);
    if (gateway && gateway.family !== route.family) throw vzError('BAD_VALUE', `route ${route.dst}: gateway ${route.gateway} is not IPv${route.family}`);
    const say = `add route ${route.dst}${route.gateway ? ` via ${route.gateway}` : ''}${route.dev ? ` dev ${route.dev}` : ''}`;
    this.call('net.addRoute', route.dev ?? route.dst, say, () => {
      const net = this.nsOf(ns);
      const dst = routeDst(route);
      if (route.dev !== undefined && !this.dev(net, route.dev).up) throw fault('ENETDOWN', route.dev);
      // IPv6 routes have no scope: the kernel reports universe whatever was asked.
      const scope = route.family === 6 ? 'universe' : route.scope ?? (route.dev !== undefined && !gateway ? 'link' : 'universe');
      const stored: NetRoute = {
        family: route.family, dst,
        ...(route.dev !== undefined ? { dev: route.dev } : {}),
        ...(gateway ? { gateway: formatIp(gateway) } : {}),
        scope,
      };
      const i = net.routes.findIndex((r) => r.family === route.family && r.dst === dst);
      if (i < 0) net.routes.push(stored);
      else if (opts.replace) net.routes[i] = stored;
      else throw fault('EEXIST');
    });
  }

  async deleteRoute(ns: NetnsRef, route: NetRoute): Promise<boolean> {
    const gateway = route.gateway === undefined ? undefined : formatIp(parseIp(route.gateway));
    return this.call(undefined, route.dev, `delete route ${route.dst}${route.dev ? ` dev ${route.dev}` : ''}`, () => {
      const net = this.nsOf(ns);
      const dst = routeDst(route);
      const i = net.routes.findIndex((r) => r.family === route.family && r.dst === dst
        && (route.dev === undefined || r.dev === route.dev) && (gateway === undefined || r.gateway === gateway));
      if (i < 0) return false;
      net.routes.splice(i, 1);
      return true;
    });
  }

  async proxyNeighbours(ns: NetnsRef): Promise<Array<{ ip: string; dev: string }>> {
    return this.nsOf(ns).proxies.map((p) => ({ ...p }));
  }

  async addProxyNeighbour(ns: NetnsRef, ip: string, dev: string): Promise<void> {
    const addr = formatIp(parseIp(ip));
    this.call('net.addProxyNeighbour', dev, `add proxy neighbour ${addr} on ${dev}`, () => {
      const net = this.nsOf(ns);
      this.dev(net, dev);
      // neigh_add ignores NLM_F_EXCL for proxy entries: adding one again is no error.
      if (!net.proxies.some((p) => p.ip === addr && p.dev === dev)) net.proxies.push({ ip: addr, dev });
    });
  }

  async deleteProxyNeighbour(ns: NetnsRef, ip: string, dev: string): Promise<boolean> {
    const addr = formatIp(parseIp(ip));
    return this.call(undefined, dev, `delete proxy neighbour ${addr} from ${dev}`, () => {
      const net = this.nsOf(ns);
      const i = net.proxies.findIndex((p) => p.ip === addr && p.dev === dev);
      if (i < 0) return false;
      net.proxies.splice(i, 1);
      return true;
    });
  }

  async checkSources(ns: NetnsRef, devPrefix: string): Promise<void> {
    this.call('net.checkSources', devPrefix, `check the sources of packets from ${devPrefix}*`, () => {
      this.nsOf(ns).checkedSources.add(devPrefix);
    });
  }

  /** The device prefixes whose sources `checkSources` turned on (for assertions). */
  checkedSources(ns: NetnsRef): string[] {
    return [...this.nsOf(ns).checkedSources];
  }

  /** A net key in slash form (`net/ipv4/ip_forward`, the file under /proc/sys); undefined when the namespace lacks it. */
  async sysctl(ns: NetnsRef, key: string): Promise<string | undefined> {
    return this.nsOf(ns).sysctls.get(netSysctlKey(key));
  }

  /** ENOENT for a key the namespace does not have (a device that is gone), EINVAL for a non-number where a number is kept. */
  async setSysctl(ns: NetnsRef, key: string, value: string): Promise<void> {
    const rel = netSysctlKey(key);
    const path = `/proc/sys/${rel}`;
    try {
      this.k.faults.check('net.setSysctl', rel);
      const p = this.procOf(ns);
      if (!p.ns.net.sysctls.has(rel)) throw fault('ENOENT');
      sysctlWrite(this.k, p, rel, value);
    } catch (e) {
      // As LinuxHost, which writes the file: the error names it.
      if (e instanceof KernelFault) throw kernelError('SYSTEM', `set sysctl to ${value}`, e.errno, path);
      throw e;
    }
  }

  // --- test helpers ----------------------------------------------------------------

  /**
   * Creates a device as the host's setup would have: a physical NIC (no `kind`) or a
   * bridge (`kind: 'bridge'`), down unless `up`. Fails like the kernel (EEXIST, EINVAL).
   */
  addLink(ns: NetnsRef, name: string, opts: { kind?: string; up?: boolean; mac?: string; mtu?: number } = {}): NetLink {
    return this.call(undefined, name, `create link ${name}`, () => {
      const net = this.nsOf(ns);
      if (opts.mtu !== undefined) checkMtu(opts.mtu);
      const mac = opts.mac === undefined ? this.nextMac() : normalizeMac(opts.mac);
      const link = net.addLink(name, { mac, mtu: opts.mtu ?? 1500, ...(opts.kind ? { kind: opts.kind } : {}) });
      if (opts.up) net.setUp(link, true);
      return link.view();
    });
  }
}
