/**
 * A small typed rtnetlink API over {@link NetlinkSocket}: links (veth pairs, up/down,
 * MAC, namespace moves, deletion), IPv4/IPv6 addresses and routes, and proxy ARP/NDP
 * neighbour entries: what the ns-net plugin needs to wire a VE without spawning `ip`.
 * Every method is one or two synchronous netlink exchanges.
 * @module
 */
import { vzError } from '@vzkit/core';
import { kernelError } from '../errno.js';

const ENODEV = 19;
import { AF_INET, AF_INET6, AF_UNSPEC, afOf, bytesToIp, bytesToMac, familyOfAf, macToBytes, parsePrefix, type IpFamily } from './netaddr.js';
import {
  IFA, IFA_F, IFF, IFLA, IFLA_INFO, NDA, NLM_F, NTF, NUD, RT_SCOPE, RT_TABLE, RTA, RTM, RTN, RTPROT, VETH_INFO_PEER,
  IFINFOMSG_LEN, IFADDRMSG_LEN, NDMSG_LEN, RTMSG_LEN, IF_STATS_MSG_LEN, IFLA_STATS_LINK_64,
  decodeIfStatsIndex, decodeLinkStats64, encodeIfStatsMsg,
  attrMap, attrS32, attrString, attrU32, attrU8,
  decodeIfAddrMsg, decodeIfInfoMsg, decodeNdMsg, decodeRtMsg,
  encodeIfAddrMsg, encodeIfInfoMsg, encodeNdMsg, encodeRtMsg,
  rtattr, rtattrNested, rtattrString, rtattrU32,
  type NlMessage,
} from './netlink-codec.js';
import { openRtnl, type Doing, type NetlinkSocket, type OpenRtnlOptions } from './netlink-socket.js';

export interface Link {
  index: number;
  name: string;
  /** IFF_* flags. */
  flags: number;
  /** IFF_UP is set (administratively up). */
  up: boolean;
  mtu?: number;
  mac?: string;
  /** IFLA_INFO_KIND: veth, bridge, ... (none for physical devices and lo). */
  kind?: string;
  /** IFLA_LINK: the peer's ifindex for a veth (in the peer's namespace). */
  link?: number;
  master?: number;
  /** IF_OPER_* (6: up, 2: down). */
  operState?: number;
  /** ARPHRD_* type. */
  type: number;
}

export interface Address {
  family: IpFamily;
  index: number;
  /** IFA_ADDRESS (the peer on point-to-point links), else IFA_LOCAL. */
  address: string;
  local?: string;
  prefixLen: number;
  /** `198.18.0.1/32`, from IFA_LOCAL when present (what `ip addr` shows). */
  cidr: string;
  label?: string;
  scope: number;
  /** IFA_F_* (from IFA_FLAGS when present). */
  flags: number;
}

/** rtmsg flag: answer a route lookup with the matching table entry, not a cloned result. */
const RTM_F_FIB_MATCH = 0x2000;

export interface Route {
  family: IpFamily;
  /** `198.18.0.1/32`, `default` for the zero prefix. */
  dst: string;
  dev?: number;
  gateway?: string;
  prefsrc?: string;
  table: number;
  scope: number;
  protocol: number;
  type: number;
  priority?: number;
}

export interface RouteSpec {
  /** `198.18.0.1/32`, `fd00::1/128`, a bare address (a host route), or `default` (with gateway or family). */
  dst: string;
  /** Output device, by name or ifindex. */
  dev?: string | number;
  gateway?: string;
  /** RT_SCOPE_*; defaults as iproute2: link for a device route without gateway, else universe. */
  scope?: number;
  /** Routing table; default main (254). */
  table?: number;
  /** RTPROT_*; default boot, as `ip route add`. */
  protocol?: number;
  /** Route metric (RTA_PRIORITY). */
  metric?: number;
  /** Preferred source address (RTA_PREFSRC). */
  src?: string;
  /** Family for `default`; otherwise taken from dst. */
  family?: IpFamily;
}

export interface Neighbour {
  family: IpFamily;
  index: number;
  dst: string;
  lladdr?: string;
  state: number;
  flags: number;
  proxy: boolean;
}

export interface VethOptions {
  /** Creates the peer end straight in this network namespace (an open /proc/PID/ns/net fd). */
  peerNetnsFd?: number;
  mtu?: number;
  /** MAC of the first end. */
  mac?: string;
  /** MAC of the peer. */
  peerMac?: string;
}

export interface AddrOptions {
  /** IPv6: skip duplicate address detection (IFA_F_NODAD), usable at once. */
  nodad?: boolean;
  /** Replace an existing identical address instead of failing with EEXIST. */
  replace?: boolean;
  /** RT_SCOPE_*; default universe (host for 127/8 is the caller's business). */
  scope?: number;
  label?: string;
}

function decodeLink(m: NlMessage): Link {
  const ifi = decodeIfInfoMsg(m.payload);
  const a = attrMap(m.payload, IFINFOMSG_LEN);
  const link: Link = { index: ifi.index, name: attrString(a.get(IFLA.IFNAME)) ?? '', flags: ifi.flags, up: (ifi.flags & IFF.UP) !== 0, type: ifi.type };
  const mtu = attrU32(a.get(IFLA.MTU));
  if (mtu !== undefined) link.mtu = mtu;
  const mac = a.get(IFLA.ADDRESS);
  if (mac && mac.length === 6) link.mac = bytesToMac(mac);
  const info = a.get(IFLA.LINKINFO);
  const kind = info ? attrString(attrMap(info).get(IFLA_INFO.KIND)) : undefined;
  if (kind) link.kind = kind;
  const peer = attrS32(a.get(IFLA.LINK));
  if (peer !== undefined) link.link = peer;
  const master = attrU32(a.get(IFLA.MASTER));
  if (master !== undefined) link.master = master;
  const oper = attrU8(a.get(IFLA.OPERSTATE));
  if (oper !== undefined) link.operState = oper;
  return link;
}

function decodeAddress(m: NlMessage): Address | undefined {
  const ifa = decodeIfAddrMsg(m.payload);
  const family = familyOfAf(ifa.family);
  if (!family) return undefined;
  const a = attrMap(m.payload, IFADDRMSG_LEN);
  const addrB = a.get(IFA.ADDRESS);
  const localB = a.get(IFA.LOCAL);
  const main = addrB ?? localB;
  if (!main) return undefined;
  const address = bytesToIp(main);
  const local = localB ? bytesToIp(localB) : undefined;
  const out: Address = {
    family, index: ifa.index, address, prefixLen: ifa.prefixLen, cidr: `${local ?? address}/${ifa.prefixLen}`,
    scope: ifa.scope, flags: attrU32(a.get(IFA.FLAGS)) ?? ifa.flags,
  };
  if (local !== undefined) out.local = local;
  const label = attrString(a.get(IFA.LABEL));
  if (label) out.label = label;
  return out;
}

function decodeRoute(m: NlMessage): Route | undefined {
  const rt = decodeRtMsg(m.payload);
  const family = familyOfAf(rt.family);
  if (!family) return undefined;
  const a = attrMap(m.payload, RTMSG_LEN);
  const dstB = a.get(RTA.DST);
  const out: Route = {
    family, dst: dstB && rt.dstLen > 0 ? `${bytesToIp(dstB)}/${rt.dstLen}` : 'default',
    table: attrU32(a.get(RTA.TABLE)) ?? rt.table, scope: rt.scope, protocol: rt.protocol, type: rt.type,
  };
  const oif = attrU32(a.get(RTA.OIF));
  if (oif !== undefined) out.dev = oif;
  const gw = a.get(RTA.GATEWAY);
  if (gw) out.gateway = bytesToIp(gw);
  const src = a.get(RTA.PREFSRC);
  if (src) out.prefsrc = bytesToIp(src);
  const prio = attrU32(a.get(RTA.PRIORITY));
  if (prio !== undefined) out.priority = prio;
  return out;
}

function decodeNeighbour(m: NlMessage): Neighbour | undefined {
  const nd = decodeNdMsg(m.payload);
  const family = familyOfAf(nd.family);
  if (!family) return undefined;
  const a = attrMap(m.payload, NDMSG_LEN);
  const dst = a.get(NDA.DST);
  if (!dst) return undefined;
  const out: Neighbour = { family, index: nd.index, dst: bytesToIp(dst), state: nd.state, flags: nd.flags, proxy: (nd.flags & NTF.PROXY) !== 0 };
  const ll = a.get(NDA.LLADDR);
  if (ll && ll.length === 6) out.lladdr = bytesToMac(ll);
  return out;
}

/** rtnetlink client; {@link Rtnl.open} makes one, {@link Rtnl.close} releases the socket. */
export class Rtnl {
  readonly socket: NetlinkSocket;

  constructor(socket: NetlinkSocket) {
    this.socket = socket;
  }

  /** A client in the caller's network namespace, or in the one at netnsPath / netnsFd. */
  static open(opts: OpenRtnlOptions = {}): Rtnl {
    return new Rtnl(openRtnl(opts));
  }

  close(): void {
    this.socket.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  // ---- links ----

  linkList(): Link[] {
    return this.socket.dump(RTM.GETLINK, encodeIfInfoMsg({ family: AF_UNSPEC }), [], 'list links').map(decodeLink);
  }

  /** Every link's name by ifindex (one dump; only IFLA_IFNAME is read of each). */
  linkNames(): Map<number, string> {
    const out = new Map<number, string>();
    for (const m of this.socket.dump(RTM.GETLINK, encodeIfInfoMsg({ family: AF_UNSPEC }), [], 'list links')) {
      const name = attrString(attrMap(m.payload, IFINFOMSG_LEN).get(IFLA.IFNAME));
      if (name) out.set(decodeIfInfoMsg(m.payload).index, name);
    }
    return out;
  }

  /**
   * Traffic counters of every link by ifindex: one RTM_GETSTATS dump asking for
   * IFLA_STATS_LINK_64 alone, a few hundred bytes per link where a link dump carries
   * every attribute.
   */
  linkStats(): Map<number, ReturnType<typeof decodeLinkStats64>> {
    const out = new Map<number, ReturnType<typeof decodeLinkStats64>>();
    const mask = 1 << (IFLA_STATS_LINK_64 - 1);
    for (const m of this.socket.dump(RTM.GETSTATS, encodeIfStatsMsg(mask), [], 'read link counters')) {
      const raw = attrMap(m.payload, IF_STATS_MSG_LEN).get(IFLA_STATS_LINK_64);
      if (raw) out.set(decodeIfStatsIndex(m.payload), decodeLinkStats64(raw));
    }
    return out;
  }

  /** The link called name, or undefined when there is none. */
  linkByName(name: string): Link | undefined {
    try {
      const [m] = this.socket.dump(RTM.GETLINK, encodeIfInfoMsg({ family: AF_UNSPEC }), [rtattrString(IFLA.IFNAME, name)], `get link ${name}`, 0);
      return m ? decodeLink(m) : undefined;
    } catch (e) {
      if ((e as { errno?: string }).errno === 'ENODEV') return undefined;
      throw e;
    }
  }

  linkByIndex(index: number): Link | undefined {
    try {
      const [m] = this.socket.dump(RTM.GETLINK, encodeIfInfoMsg({ family: AF_UNSPEC, index }), [], `get link ${index}`, 0);
      return m ? decodeLink(m) : undefined;
    } catch (e) {
      if ((e as { errno?: string }).errno === 'ENODEV') return undefined;
      throw e;
    }
  }

  /** The ifindex of a link given by name or index; throws (ENODEV) for a missing one. */
  ifindex(link: string | number): number {
    if (typeof link === 'number') return link;
    const l = this.linkByName(link);
    if (!l) throw kernelError('SYSTEM', `find network device ${link}`, ENODEV);
    return l.index;
  }

  /** A link's name for a message; an index is looked up (only when the message is wanted). */
  #linkName(link: string | number): string {
    if (typeof link === 'string') return link;
    try {
      return this.linkByIndex(link)?.name ?? `ifindex ${link}`;
    } catch {
      return `ifindex ${link}`;
    }
  }

  /** ifinfomsg and IFLA_IFNAME addressing a link by index or name. */
  #target(link: string | number, extra: { flags?: number; change?: number } = {}): [Uint8Array, Uint8Array[]] {
    if (typeof link === 'number') return [encodeIfInfoMsg({ family: AF_UNSPEC, index: link, ...extra }), []];
    return [encodeIfInfoMsg({ family: AF_UNSPEC, ...extra }), [rtattrString(IFLA.IFNAME, link)]];
  }

  #setLink(link: string | number, what: Doing, attrs: Uint8Array[], flags?: { flags: number; change: number }): void {
    const [hdr, id] = this.#target(link, flags);
    this.socket.request(RTM.NEWLINK, hdr, [...id, ...attrs], what);
  }

  linkSetUp(link: string | number): void {
    this.#setLink(link, () => `set ${this.#linkName(link)} up`, [], { flags: IFF.UP, change: IFF.UP });
  }

  linkSetDown(link: string | number): void {
    this.#setLink(link, () => `set ${this.#linkName(link)} down`, [], { flags: 0, change: IFF.UP });
  }

  /** IFF_NOARP on or off: without ARP/NDP, frames go to the device's own MAC (a point-to-point use of Ethernet). */
  linkSetNoarp(link: string | number, on: boolean): void {
    this.#setLink(link, () => `set ${this.#linkName(link)} ${on ? 'noarp' : 'arp'}`, [], { flags: on ? IFF.NOARP : 0, change: IFF.NOARP });
  }

  /** Enslaves a link to a bridge (or another master); null releases it. */
  linkSetMaster(link: string | number, master: string | number | null): void {
    const index = master === null ? 0 : this.ifindex(master);
    this.#setLink(link, () => `${master === null ? 'release' : `add`} ${this.#linkName(link)} ${master === null ? 'from its bridge' : `to ${this.#linkName(master)}`}`, [rtattrU32(IFLA.MASTER, index)]);
  }

  linkSetMac(link: string | number, mac: string): void {
    this.#setLink(link, () => `set MAC ${mac} on ${this.#linkName(link)}`, [rtattr(IFLA.ADDRESS, macToBytes(mac))]);
  }

  linkSetMtu(link: string | number, mtu: number): void {
    this.#setLink(link, () => `set MTU ${mtu} on ${this.#linkName(link)}`, [rtattrU32(IFLA.MTU, mtu)]);
  }

  /** Moves a link into the network namespace of netnsFd (an open /proc/PID/ns/net). */
  linkSetNetns(link: string | number, netnsFd: number): void {
    this.#setLink(link, () => `move ${this.#linkName(link)} to netns fd ${netnsFd}`, [rtattrU32(IFLA.NET_NS_FD, netnsFd)]);
  }

  /** Deletes a link (for a veth, both ends go). With ifMissing, a missing link is not an error; returns whether one was deleted. */
  linkDelete(link: string | number, opts: { ifMissing?: boolean } = {}): boolean {
    const [hdr, id] = this.#target(link);
    const r = this.socket.request(RTM.DELLINK, hdr, id, `delete link ${typeof link === 'string' ? link : `ifindex ${link}`}`, opts.ifMissing ? { tolerate: ['ENODEV'] } : {});
    return r.errno === 0;
  }

  /**
   * Creates a veth pair name <-> peerName; with peerNetnsFd the peer is born in that
   * namespace (nothing ever appears in this one but name). Both ends start down.
   */
  createVethPair(name: string, peerName: string, opts: VethOptions = {}): void {
    const peerAttrs = [rtattrString(IFLA.IFNAME, peerName)];
    if (opts.mtu !== undefined) peerAttrs.push(rtattrU32(IFLA.MTU, opts.mtu));
    if (opts.peerMac) peerAttrs.push(rtattr(IFLA.ADDRESS, macToBytes(opts.peerMac)));
    if (opts.peerNetnsFd !== undefined) peerAttrs.push(rtattrU32(IFLA.NET_NS_FD, opts.peerNetnsFd));
    // VETH_INFO_PEER carries a struct ifinfomsg, then the peer's IFLA_* attributes.
    const peer = rtattr(VETH_INFO_PEER, Uint8Array.from([...encodeIfInfoMsg({ family: AF_UNSPEC }), ...peerAttrs.flatMap((a) => [...a])]));
    const attrs = [rtattrString(IFLA.IFNAME, name)];
    if (opts.mtu !== undefined) attrs.push(rtattrU32(IFLA.MTU, opts.mtu));
    if (opts.mac) attrs.push(rtattr(IFLA.ADDRESS, macToBytes(opts.mac)));
    attrs.push(rtattrNested(IFLA.LINKINFO, [rtattrString(IFLA_INFO.KIND, 'veth'), rtattrNested(IFLA_INFO.DATA, [peer])]));
    this.socket.request(RTM.NEWLINK, encodeIfInfoMsg({ family: AF_UNSPEC }), attrs, `create veth pair ${name}/${peerName}`, { flags: NLM_F.CREATE | NLM_F.EXCL });
  }

  // ---- addresses ----

  #addrMsg(type: number, link: string | number, cidr: string, what: string, opts: AddrOptions, flags: number, tolerate?: string[]) {
    const p = parsePrefix(cidr);
    const index = this.ifindex(link);
    const ifaFlags = opts.nodad && p.family === 6 ? IFA_F.NODAD : 0;
    const attrs = [rtattr(IFA.LOCAL, p.bytes), rtattr(IFA.ADDRESS, p.bytes)];
    if (opts.label) attrs.push(rtattrString(IFA.LABEL, opts.label));
    if (ifaFlags) attrs.push(rtattrU32(IFA.FLAGS, ifaFlags));
    const hdr = encodeIfAddrMsg({ family: afOf(p.family), prefixLen: p.prefixLen, flags: ifaFlags, scope: opts.scope ?? RT_SCOPE.UNIVERSE, index });
    return this.socket.request(type, hdr, attrs, () => `${what} ${p.address}/${p.prefixLen} ${type === RTM.NEWADDR ? 'to' : 'from'} ${this.#linkName(link)}`, { flags, ...(tolerate ? { tolerate } : {}) });
  }

  /** Adds `198.18.0.1/32` or `fd00::1/64` (a bare address is a host prefix) to a link; EEXIST when present. */
  addrAdd(link: string | number, cidr: string, opts: AddrOptions = {}): void {
    this.#addrMsg(RTM.NEWADDR, link, cidr, 'add address', opts, NLM_F.CREATE | (opts.replace ? NLM_F.REPLACE : NLM_F.EXCL));
  }

  /** Removes an address; with ifMissing an absent one is not an error. Returns whether one was removed. */
  addrDel(link: string | number, cidr: string, opts: { ifMissing?: boolean } = {}): boolean {
    return this.#addrMsg(RTM.DELADDR, link, cidr, 'delete address', {}, 0, opts.ifMissing ? ['EADDRNOTAVAIL', 'ENOENT'] : undefined).errno === 0;
  }

  /** IPv4 and IPv6 addresses, of one link or all. */
  addrList(link?: string | number, family?: IpFamily): Address[] {
    const index = link === undefined ? undefined : this.ifindex(link);
    const hdr = encodeIfAddrMsg({ family: family ? afOf(family) : AF_UNSPEC, prefixLen: 0, flags: 0, scope: 0, index: 0 });
    return this.socket.dump(RTM.GETADDR, hdr, [], 'list addresses')
      .map(decodeAddress)
      .filter((a): a is Address => !!a && (index === undefined || a.index === index));
  }

  // ---- routes ----

  #routeMsg(spec: RouteSpec, del: boolean) {
    const dst = parsePrefix(spec.dst, spec.family ?? (spec.gateway ? parsePrefix(spec.gateway).family : undefined));
    const family = dst.family;
    const attrs: Uint8Array[] = [];
    if (dst.prefixLen > 0) attrs.push(rtattr(RTA.DST, dst.bytes));
    const dev = spec.dev;
    if (dev !== undefined) attrs.push(rtattrU32(RTA.OIF, this.ifindex(dev)));
    if (spec.gateway) {
      const gw = parsePrefix(spec.gateway);
      if (gw.family !== family) throw vzError('BAD_VALUE', `route ${spec.dst}: gateway ${spec.gateway} is not IPv${family}`);
      attrs.push(rtattr(RTA.GATEWAY, gw.bytes));
    }
    if (spec.src) attrs.push(rtattr(RTA.PREFSRC, parsePrefix(spec.src).bytes));
    if (spec.metric !== undefined) attrs.push(rtattrU32(RTA.PRIORITY, spec.metric));
    const table = spec.table ?? RT_TABLE.MAIN;
    if (table > 255) attrs.push(rtattrU32(RTA.TABLE, table));
    const scope = spec.scope ?? (del ? RT_SCOPE.NOWHERE : spec.gateway || family === 6 ? RT_SCOPE.UNIVERSE : RT_SCOPE.LINK);
    const hdr = encodeRtMsg({
      family: family === 4 ? AF_INET : AF_INET6, dstLen: dst.prefixLen, table: table > 255 ? RT_TABLE.UNSPEC : table,
      protocol: del ? 0 : spec.protocol ?? RTPROT.BOOT, scope, type: del ? 0 : RTN.UNICAST,
    });
    const what = () => `${del ? 'delete' : 'add'} route ${dst.prefixLen === 0 ? 'default' : `${dst.address}/${dst.prefixLen}`}${spec.gateway ? ` via ${spec.gateway}` : ''}${dev !== undefined ? ` dev ${this.#linkName(dev)}` : ''}`;
    return { hdr, attrs, what };
  }

  /** Adds a route; `{ dst: '198.18.0.1/32', dev: 'venet0' }` is the venet host route. EEXIST when present. */
  routeAdd(spec: RouteSpec, opts: { replace?: boolean } = {}): void {
    const { hdr, attrs, what } = this.#routeMsg(spec, false);
    this.socket.request(RTM.NEWROUTE, hdr, attrs, what, { flags: NLM_F.CREATE | (opts.replace ? NLM_F.REPLACE : NLM_F.EXCL) });
  }

  /** Deletes a route; with ifMissing an absent one is not an error. Returns whether one was deleted. */
  routeDel(spec: RouteSpec, opts: { ifMissing?: boolean } = {}): boolean {
    const { hdr, attrs, what } = this.#routeMsg(spec, true);
    return this.socket.request(RTM.DELROUTE, hdr, attrs, what, opts.ifMissing ? { tolerate: ['ESRCH', 'ENOENT'] } : {}).errno === 0;
  }

  /** Routes of a family (both when omitted), of the main table unless another is given (`'all'` for every table). */
  routeList(opts: { family?: IpFamily; table?: number | 'all' } = {}): Route[] {
    const hdr = encodeRtMsg({ family: opts.family ? afOf(opts.family) : AF_UNSPEC });
    const table = opts.table ?? RT_TABLE.MAIN;
    return this.socket.dump(RTM.GETROUTE, hdr, [], 'list routes')
      .map(decodeRoute)
      .filter((r): r is Route => !!r && (table === 'all' || r.table === table));
  }

  /**
   * The routing entry the kernel picks for `address` (RTM_GETROUTE with RTM_F_FIB_MATCH,
   * Linux 4.13+): the entry itself with its own prefix and table, type RTN_LOCAL for an
   * address of this namespace; undefined when nothing routes it. One lookup, whatever
   * the number of routes.
   */
  routeMatch(address: string): Route | undefined {
    const p = parsePrefix(address);
    const hdr = encodeRtMsg({ family: afOf(p.family), dstLen: p.family === 4 ? 32 : 128, flags: RTM_F_FIB_MATCH });
    try {
      const [m] = this.socket.dump(RTM.GETROUTE, hdr, [rtattr(RTA.DST, p.bytes)], `look up the route to ${p.address}`, 0);
      return m ? decodeRoute(m) : undefined;
    } catch (e) {
      if (['ENETUNREACH', 'EHOSTUNREACH', 'ESRCH', 'ENOENT'].includes((e as { errno?: string }).errno ?? '')) return undefined;
      throw e;
    }
  }

  // ---- proxy neighbours ----

  #neighMsg(type: number, ip: string, dev: string | number, flags: number, tolerate?: string[]) {
    const p = parsePrefix(ip);
    const index = this.ifindex(dev);
    const hdr = encodeNdMsg({ family: afOf(p.family), index, state: type === RTM.NEWNEIGH ? NUD.PERMANENT : 0, flags: NTF.PROXY });
    const what = () => `${type === RTM.NEWNEIGH ? 'add' : 'delete'} proxy neighbour ${p.address} ${type === RTM.NEWNEIGH ? 'on' : 'from'} ${this.#linkName(dev)}`;
    return this.socket.request(type, hdr, [rtattr(NDA.DST, p.bytes)], what, { flags, ...(tolerate ? { tolerate } : {}) });
  }

  /**
   * Answers ARP (IPv4) or NDP (IPv6) for ip on dev: `ip neigh add proxy IP dev DEV`.
   * Idempotent: the kernel ignores NLM_F_EXCL for proxy entries (neigh_add), so an
   * existing entry is no error. The sysctls proxy_arp / proxy_ndp must be on for it to answer.
   */
  neighProxyAdd(ip: string, dev: string | number, opts: { replace?: boolean } = {}): void {
    this.#neighMsg(RTM.NEWNEIGH, ip, dev, NLM_F.CREATE | (opts.replace ? NLM_F.REPLACE : NLM_F.EXCL));
  }

  neighProxyDel(ip: string, dev: string | number, opts: { ifMissing?: boolean } = {}): boolean {
    return this.#neighMsg(RTM.DELNEIGH, ip, dev, 0, opts.ifMissing ? ['ENOENT'] : undefined).errno === 0;
  }

  /** Proxy entries (`ip neigh show proxy`), of one family or both. */
  neighProxyList(family?: IpFamily): Neighbour[] {
    // A dump request whose ndm_flags is exactly NTF_PROXY lists the proxy table.
    const hdr = encodeNdMsg({ family: family ? afOf(family) : AF_UNSPEC, flags: NTF.PROXY });
    return this.socket.dump(RTM.GETNEIGH, hdr, [], 'list proxy neighbours')
      .map(decodeNeighbour)
      .filter((n): n is Neighbour => !!n);
  }
}

// Re-exported so callers need not reach into the codec for the common numbers.
export { IFF, RT_SCOPE, RT_TABLE, RTPROT } from './netlink-codec.js';
