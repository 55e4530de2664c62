/**
 * Netlink message encoding and decoding for rtnetlink (NETLINK_ROUTE): the nlmsghdr
 * framing, the fixed headers of each family (ifinfomsg, ifaddrmsg, rtmsg, ndmsg), and
 * rtattr TLVs, nested or not, 4-byte aligned. Pure functions on bytes; integers are in
 * host byte order as the kernel wants them, addresses in network order.
 * @module
 */
import { endianness } from 'node:os';
import { vzError } from '@vzkit/core';

const LE = endianness() === 'LE';

// ---- linux/netlink.h ------------------------------------------------------------------

/** Protocol numbers and socket options (linux/netlink.h). */
export const AF_NETLINK = 16;
export const NETLINK_ROUTE = 0;
export const SOL_NETLINK = 270;
export const NETLINK_EXT_ACK = 11;

/** sizeof(struct nlmsghdr): u32 len, u16 type, u16 flags, u32 seq, u32 pid. */
export const NLMSG_HDRLEN = 16;
/** sizeof(struct rtattr) / struct nlattr: u16 len, u16 type. */
export const RTA_HDRLEN = 4;

/** Control message types (linux/netlink.h). */
export const NLMSG = { NOOP: 1, ERROR: 2, DONE: 3, OVERRUN: 4 } as const;

/** nlmsg_flags (linux/netlink.h). GET requests use ROOT/MATCH/DUMP, NEW ones REPLACE/EXCL/CREATE/APPEND. */
export const NLM_F = {
  REQUEST: 0x01,
  MULTI: 0x02,
  ACK: 0x04,
  ECHO: 0x08,
  DUMP_INTR: 0x10,
  DUMP_FILTERED: 0x20,
  ROOT: 0x100,
  MATCH: 0x200,
  DUMP: 0x300,
  REPLACE: 0x100,
  EXCL: 0x200,
  CREATE: 0x400,
  APPEND: 0x800,
  /** In an NLMSG_ERROR: the request was not echoed back, only its header. */
  CAPPED: 0x100,
  /** In an NLMSG_ERROR: extended-ack TLVs follow. */
  ACK_TLVS: 0x200,
} as const;

/** enum nlmsgerr_attrs (linux/netlink.h): the extended-ack TLVs of an NLMSG_ERROR. */
export const NLMSGERR_ATTR = { MSG: 1, OFFS: 2, COOKIE: 3 } as const;

/** nla_type bits (linux/netlink.h). */
export const NLA_F_NESTED = 1 << 15;
export const NLA_F_NET_BYTEORDER = 1 << 14;
export const NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;

// ---- linux/rtnetlink.h ----------------------------------------------------------------

/** rtnetlink message types (linux/rtnetlink.h). */
export const RTM = {
  NEWLINK: 16, DELLINK: 17, GETLINK: 18, SETLINK: 19,
  NEWADDR: 20, DELADDR: 21, GETADDR: 22,
  NEWROUTE: 24, DELROUTE: 25, GETROUTE: 26,
  NEWNEIGH: 28, DELNEIGH: 29, GETNEIGH: 30,
  NEWSTATS: 92, GETSTATS: 94,
} as const;

/** struct if_stats_msg (linux/if_link.h), 12 bytes: family, pads, ifindex, filter_mask. */
export const IF_STATS_MSG_LEN = 12;
/** IFLA_STATS_LINK_64: struct rtnl_link_stats64 (linux/if_link.h). */
export const IFLA_STATS_LINK_64 = 1;

export function encodeIfStatsMsg(filterMask: number, index = 0): Uint8Array {
  const b = new Uint8Array(IF_STATS_MSG_LEN);
  const v = view(b);
  v.setInt32(4, index, LE);
  v.setUint32(8, filterMask >>> 0, LE);
  return b;
}

/** ifindex of an RTM_NEWSTATS message. */
export function decodeIfStatsIndex(b: Uint8Array): number {
  need(b, IF_STATS_MSG_LEN, 'if_stats_msg');
  return view(b).getInt32(4, LE);
}

/** The first eight u64 of struct rtnl_link_stats64, as numbers (exact up to 2^53). */
export function decodeLinkStats64(b: Uint8Array): { rxPackets: number; txPackets: number; rxBytes: number; txBytes: number; rxErrors: number; txErrors: number; rxDropped: number; txDropped: number } {
  need(b, 64, 'rtnl_link_stats64');
  const v = view(b);
  const u = (i: number) => Number(v.getBigUint64(i * 8, LE));
  return { rxPackets: u(0), txPackets: u(1), rxBytes: u(2), txBytes: u(3), rxErrors: u(4), txErrors: u(5), rxDropped: u(6), txDropped: u(7) };
}


/** enum rt_class_t (linux/rtnetlink.h). */
export const RT_TABLE = { UNSPEC: 0, COMPAT: 252, DEFAULT: 253, MAIN: 254, LOCAL: 255 } as const;

/** rtm_protocol values (linux/rtnetlink.h): who installed the route. */
export const RTPROT = { UNSPEC: 0, REDIRECT: 1, KERNEL: 2, BOOT: 3, STATIC: 4 } as const;

/** enum rt_scope_t (linux/rtnetlink.h). */
export const RT_SCOPE = { UNIVERSE: 0, SITE: 200, LINK: 253, HOST: 254, NOWHERE: 255 } as const;

/** rtm_type values (linux/rtnetlink.h). */
export const RTN = { UNSPEC: 0, UNICAST: 1, LOCAL: 2, BROADCAST: 3, ANYCAST: 4, MULTICAST: 5, BLACKHOLE: 6, UNREACHABLE: 7, PROHIBIT: 8 } as const;

/** enum rtattr_type_t (linux/rtnetlink.h): attributes of an rtmsg. */
export const RTA = { DST: 1, SRC: 2, IIF: 3, OIF: 4, GATEWAY: 5, PRIORITY: 6, PREFSRC: 7, METRICS: 8, TABLE: 15 } as const;

// ---- linux/if_link.h, linux/if_addr.h, linux/neighbour.h, linux/veth.h, linux/if.h ----

/** IFLA_* attributes of an ifinfomsg (linux/if_link.h). */
export const IFLA = {
  ADDRESS: 1, BROADCAST: 2, IFNAME: 3, MTU: 4, LINK: 5, QDISC: 6, STATS: 7,
  MASTER: 10, TXQLEN: 13, OPERSTATE: 16, LINKMODE: 17, LINKINFO: 18, NET_NS_PID: 19,
  IFALIAS: 20, NET_NS_FD: 28, EXT_MASK: 29, LINK_NETNSID: 37,
} as const;

/** IFLA_INFO_* inside IFLA_LINKINFO (linux/if_link.h). */
export const IFLA_INFO = { KIND: 1, DATA: 2 } as const;

/** VETH_INFO_PEER inside IFLA_INFO_DATA of a veth (linux/veth.h); carries an ifinfomsg and IFLA_* attributes. */
export const VETH_INFO_PEER = 1;

/** net_device flags (linux/if.h). */
export const IFF = { UP: 0x1, BROADCAST: 0x2, LOOPBACK: 0x8, POINTOPOINT: 0x10, NOARP: 0x80, RUNNING: 0x40, PROMISC: 0x100, MULTICAST: 0x1000, LOWER_UP: 0x10000 } as const;

/** IFA_* attributes of an ifaddrmsg (linux/if_addr.h). */
export const IFA = { ADDRESS: 1, LOCAL: 2, LABEL: 3, BROADCAST: 4, ANYCAST: 5, CACHEINFO: 6, MULTICAST: 7, FLAGS: 8 } as const;

/** ifa_flags (linux/if_addr.h). */
export const IFA_F = { SECONDARY: 0x01, NODAD: 0x02, OPTIMISTIC: 0x04, DADFAILED: 0x08, HOMEADDRESS: 0x10, DEPRECATED: 0x20, TENTATIVE: 0x40, PERMANENT: 0x80 } as const;

/** NDA_* attributes of an ndmsg (linux/neighbour.h). */
export const NDA = { DST: 1, LLADDR: 2, CACHEINFO: 3, PROBES: 4 } as const;

/** ndm_flags (linux/neighbour.h). */
export const NTF = { USE: 0x01, SELF: 0x02, MASTER: 0x04, PROXY: 0x08, ROUTER: 0x80 } as const;

/** ndm_state (linux/neighbour.h). */
export const NUD = { INCOMPLETE: 0x01, REACHABLE: 0x02, STALE: 0x04, DELAY: 0x08, PROBE: 0x10, FAILED: 0x20, NOARP: 0x40, PERMANENT: 0x80, NONE: 0x00 } as const;

// ---- encoding -------------------------------------------------------------------------

/** Rounds up to the 4-byte boundary of NLMSG_ALIGN / RTA_ALIGN. */
export function align4(n: number): number {
  return (n + 3) & ~3;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** One rtattr: header, payload, zero padding to 4 bytes (rta_len counts header and payload only). */
export function rtattr(type: number, payload: Uint8Array): Uint8Array {
  const len = RTA_HDRLEN + payload.length;
  if (len > 0xffff) throw vzError('BAD_VALUE', `netlink attribute ${type} too long (${len} bytes)`);
  const out = new Uint8Array(align4(len));
  const v = view(out);
  v.setUint16(0, len, LE);
  v.setUint16(2, type, LE);
  out.set(payload, RTA_HDRLEN);
  return out;
}

export function rtattrU8(type: number, value: number): Uint8Array {
  return rtattr(type, Uint8Array.of(value & 0xff));
}

export function rtattrU16(type: number, value: number): Uint8Array {
  const b = new Uint8Array(2);
  view(b).setUint16(0, value, LE);
  return rtattr(type, b);
}

export function rtattrU32(type: number, value: number): Uint8Array {
  const b = new Uint8Array(4);
  view(b).setUint32(0, value >>> 0, LE);
  return rtattr(type, b);
}

export function rtattrS32(type: number, value: number): Uint8Array {
  const b = new Uint8Array(4);
  view(b).setInt32(0, value, LE);
  return rtattr(type, b);
}

/** A NUL-terminated string (IFLA_IFNAME, IFLA_INFO_KIND, IFA_LABEL). */
export function rtattrString(type: number, value: string): Uint8Array {
  const s = new TextEncoder().encode(value);
  const b = new Uint8Array(s.length + 1);
  b.set(s);
  return rtattr(type, b);
}

/**
 * A nested attribute: its children, each padded, form the payload. NLA_F_NESTED is not
 * set (iproute2 does not set it either; the kernel accepts both for these attributes).
 */
export function rtattrNested(type: number, children: readonly Uint8Array[]): Uint8Array {
  return rtattr(type, concat(children));
}

export interface NlHeader {
  type: number;
  flags: number;
  seq: number;
  pid?: number;
}

/**
 * A whole message: nlmsghdr, the family header (padded to 4) and attributes; nlmsg_len
 * counts all of it.
 */
export function encodeMessage(hdr: NlHeader, family: Uint8Array, attrs: readonly Uint8Array[] = []): Uint8Array {
  const famLen = align4(family.length);
  const len = NLMSG_HDRLEN + famLen + attrs.reduce((n, a) => n + a.length, 0);
  const out = new Uint8Array(len);
  const v = view(out);
  v.setUint32(0, len, LE);
  v.setUint16(4, hdr.type, LE);
  v.setUint16(6, hdr.flags, LE);
  v.setUint32(8, hdr.seq >>> 0, LE);
  v.setUint32(12, (hdr.pid ?? 0) >>> 0, LE);
  out.set(family, NLMSG_HDRLEN);
  let off = NLMSG_HDRLEN + famLen;
  for (const a of attrs) {
    out.set(a, off);
    off += a.length;
  }
  return out;
}

/** struct ifinfomsg (linux/rtnetlink.h), 16 bytes. */
export interface IfInfoMsg {
  family: number;
  /** ARPHRD_* device type. */
  type: number;
  index: number;
  flags: number;
  change: number;
}
export const IFINFOMSG_LEN = 16;

export function encodeIfInfoMsg(m: Partial<IfInfoMsg> = {}): Uint8Array {
  const b = new Uint8Array(IFINFOMSG_LEN);
  const v = view(b);
  v.setUint8(0, m.family ?? 0);
  v.setUint16(2, m.type ?? 0, LE);
  v.setInt32(4, m.index ?? 0, LE);
  v.setUint32(8, (m.flags ?? 0) >>> 0, LE);
  v.setUint32(12, (m.change ?? 0) >>> 0, LE);
  return b;
}

export function decodeIfInfoMsg(b: Uint8Array): IfInfoMsg {
  need(b, IFINFOMSG_LEN, 'ifinfomsg');
  const v = view(b);
  return { family: v.getUint8(0), type: v.getUint16(2, LE), index: v.getInt32(4, LE), flags: v.getUint32(8, LE), change: v.getUint32(12, LE) };
}

/** struct ifaddrmsg (linux/if_addr.h), 8 bytes. */
export interface IfAddrMsg {
  family: number;
  prefixLen: number;
  flags: number;
  scope: number;
  index: number;
}
export const IFADDRMSG_LEN = 8;

export function encodeIfAddrMsg(m: IfAddrMsg): Uint8Array {
  const b = new Uint8Array(IFADDRMSG_LEN);
  const v = view(b);
  v.setUint8(0, m.family);
  v.setUint8(1, m.prefixLen);
  v.setUint8(2, m.flags & 0xff);
  v.setUint8(3, m.scope);
  v.setUint32(4, m.index >>> 0, LE);
  return b;
}

export function decodeIfAddrMsg(b: Uint8Array): IfAddrMsg {
  need(b, IFADDRMSG_LEN, 'ifaddrmsg');
  const v = view(b);
  return { family: v.getUint8(0), prefixLen: v.getUint8(1), flags: v.getUint8(2), scope: v.getUint8(3), index: v.getUint32(4, LE) };
}

/** struct rtmsg (linux/rtnetlink.h), 12 bytes. */
export interface RtMsg {
  family: number;
  dstLen: number;
  srcLen: number;
  tos: number;
  table: number;
  protocol: number;
  scope: number;
  type: number;
  flags: number;
}
export const RTMSG_LEN = 12;

export function encodeRtMsg(m: Partial<RtMsg> & { family: number }): Uint8Array {
  const b = new Uint8Array(RTMSG_LEN);
  const v = view(b);
  [m.family, m.dstLen, m.srcLen, m.tos, m.table, m.protocol, m.scope, m.type].forEach((x, i) => v.setUint8(i, x ?? 0));
  v.setUint32(8, (m.flags ?? 0) >>> 0, LE);
  return b;
}

export function decodeRtMsg(b: Uint8Array): RtMsg {
  need(b, RTMSG_LEN, 'rtmsg');
  const v = view(b);
  return {
    family: v.getUint8(0), dstLen: v.getUint8(1), srcLen: v.getUint8(2), tos: v.getUint8(3),
    table: v.getUint8(4), protocol: v.getUint8(5), scope: v.getUint8(6), type: v.getUint8(7), flags: v.getUint32(8, LE),
  };
}

/** struct ndmsg (linux/neighbour.h), 12 bytes. */
export interface NdMsg {
  family: number;
  index: number;
  state: number;
  flags: number;
  type: number;
}
export const NDMSG_LEN = 12;

export function encodeNdMsg(m: Partial<NdMsg> & { family: number }): Uint8Array {
  const b = new Uint8Array(NDMSG_LEN);
  const v = view(b);
  v.setUint8(0, m.family);
  v.setInt32(4, m.index ?? 0, LE);
  v.setUint16(8, m.state ?? 0, LE);
  v.setUint8(10, m.flags ?? 0);
  v.setUint8(11, m.type ?? 0);
  return b;
}

export function decodeNdMsg(b: Uint8Array): NdMsg {
  need(b, NDMSG_LEN, 'ndmsg');
  const v = view(b);
  return { family: v.getUint8(0), index: v.getInt32(4, LE), state: v.getUint16(8, LE), flags: v.getUint8(10), type: v.getUint8(11) };
}

// ---- decoding -------------------------------------------------------------------------

function need(b: Uint8Array, n: number, what: string): void {
  if (b.length < n) throw vzError('SYSTEM', `netlink: short ${what} (${b.length} of ${n} bytes)`);
}

/** One message of a receive buffer; payload is everything after the nlmsghdr. */
export interface NlMessage {
  type: number;
  flags: number;
  seq: number;
  pid: number;
  payload: Uint8Array;
}

/**
 * Splits a datagram (or the concatenation of several) into messages, following
 * NLMSG_NEXT: each starts at the 4-byte boundary after the previous one.
 */
export function parseMessages(buf: Uint8Array): NlMessage[] {
  const out: NlMessage[] = [];
  const v = view(buf);
  let off = 0;
  while (off + NLMSG_HDRLEN <= buf.length) {
    const len = v.getUint32(off, LE);
    if (len < NLMSG_HDRLEN || off + len > buf.length) throw vzError('SYSTEM', `netlink: malformed message at byte ${off} (length ${len} of ${buf.length - off} left)`);
    out.push({
      type: v.getUint16(off + 4, LE),
      flags: v.getUint16(off + 6, LE),
      seq: v.getUint32(off + 8, LE),
      pid: v.getUint32(off + 12, LE),
      payload: buf.subarray(off + NLMSG_HDRLEN, off + len),
    });
    off += align4(len);
  }
  return out;
}

export interface RtAttrValue {
  /** The type without NLA_F_NESTED / NLA_F_NET_BYTEORDER. */
  type: number;
  nested: boolean;
  data: Uint8Array;
}

/** The attributes in buf from offset on (RTA_OK / RTA_NEXT); a truncated tail is ignored as the kernel does. */
export function parseAttrs(buf: Uint8Array, offset = 0): RtAttrValue[] {
  const out: RtAttrValue[] = [];
  const v = view(buf);
  let off = align4(offset);
  while (off + RTA_HDRLEN <= buf.length) {
    const len = v.getUint16(off, LE);
    if (len < RTA_HDRLEN || off + len > buf.length) break;
    const raw = v.getUint16(off + 2, LE);
    out.push({ type: raw & NLA_TYPE_MASK, nested: (raw & NLA_F_NESTED) !== 0, data: buf.subarray(off + RTA_HDRLEN, off + len) });
    off += align4(len);
  }
  return out;
}

/** The attributes by type; the last one wins when a type repeats. */
export function attrMap(buf: Uint8Array, offset = 0): Map<number, Uint8Array> {
  return new Map(parseAttrs(buf, offset).map((a) => [a.type, a.data]));
}

export function attrU8(data: Uint8Array | undefined): number | undefined {
  return data && data.length >= 1 ? data[0] : undefined;
}

export function attrU32(data: Uint8Array | undefined): number | undefined {
  return data && data.length >= 4 ? view(data).getUint32(0, LE) : undefined;
}

export function attrS32(data: Uint8Array | undefined): number | undefined {
  return data && data.length >= 4 ? view(data).getInt32(0, LE) : undefined;
}

/** A string attribute up to its first NUL. */
export function attrString(data: Uint8Array | undefined): string | undefined {
  if (!data) return undefined;
  const nul = data.indexOf(0);
  return new TextDecoder().decode(nul < 0 ? data : data.subarray(0, nul));
}

/** A decoded NLMSG_ERROR: errno 0 is an ACK. */
export interface NlError {
  /** Positive errno (the kernel sends it negated); 0 for an ACK. */
  errno: number;
  /** The nlmsghdr of the request this answers. */
  request: { len: number; type: number; flags: number; seq: number; pid: number };
  /** Extended ack (NETLINK_EXT_ACK): the kernel's own explanation, when it gave one. */
  message?: string;
  /** Extended ack: byte offset of the offending attribute in the request. */
  offset?: number;
}

/** struct nlmsgerr (linux/netlink.h): int error, the request's nlmsghdr (and payload unless CAPPED), then ext-ack TLVs. */
export function decodeError(msg: Pick<NlMessage, 'flags' | 'payload'>): NlError {
  const p = msg.payload;
  need(p, 4 + NLMSG_HDRLEN, 'nlmsgerr');
  const v = view(p);
  const err = v.getInt32(0, LE);
  const request = { len: v.getUint32(4, LE), type: v.getUint16(8, LE), flags: v.getUint16(10, LE), seq: v.getUint32(12, LE), pid: v.getUint32(16, LE) };
  const out: NlError = { errno: err === 0 ? 0 : -err, request };
  if (msg.flags & NLM_F.ACK_TLVS) {
    const echoed = msg.flags & NLM_F.CAPPED ? NLMSG_HDRLEN : Math.max(NLMSG_HDRLEN, request.len);
    const attrs = attrMap(p, 4 + align4(echoed));
    const text = attrString(attrs.get(NLMSGERR_ATTR.MSG));
    if (text) out.message = text;
    const offs = attrU32(attrs.get(NLMSGERR_ATTR.OFFS));
    if (offs !== undefined) out.offset = offs;
  }
  return out;
}

/** The error code an NLMSG_DONE may carry (kernels since 4.x append an int); 0 otherwise. */
export function decodeDone(msg: Pick<NlMessage, 'payload'>): number {
  const err = msg.payload.length >= 4 ? view(msg.payload).getInt32(0, LE) : 0;
  return err === 0 ? 0 : -err;
}
