import { describe, expect, it } from 'vitest';
import { isVzError } from '@vzkit/core';
import {
  IFA, IFLA, IFLA_INFO, NLM_F, NLMSG, RTM, VETH_INFO_PEER, IFINFOMSG_LEN, IFADDRMSG_LEN,
  align4, attrMap, attrString, attrU32, decodeDone, decodeError, decodeIfAddrMsg, decodeIfInfoMsg,
  encodeIfAddrMsg, encodeIfInfoMsg, encodeMessage, encodeRtMsg, parseAttrs, parseMessages,
  rtattr, rtattrNested, rtattrString, rtattrU32,
} from '../src/net/netlink-codec.js';
import { bytesToIp, ipToBytes, parsePrefix, macToBytes, bytesToMac } from '../src/net/netaddr.js';
import { Rtnl } from '../src/net/rtnl.js';
import type { NetlinkSocket } from '../src/net/netlink-socket.js';

/** `28 00 00 00 ...` to bytes. */
function hex(s: string): Uint8Array {
  return Uint8Array.from(s.trim().split(/\s+/).map((b) => parseInt(b, 16)));
}

function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}

// RTM_NEWADDR for 198.18.0.1/32 on ifindex 5, NLM_F_REQUEST|ACK|EXCL|CREATE, seq 1, as
// `ip -4 addr add 198.18.0.1/32 dev <5>` sends it (x86_64, little-endian host order):
const NEWADDR_198_18_0_1 = hex(`
  28 00 00 00  14 00  05 06  01 00 00 00  00 00 00 00
  02 20 00 00  05 00 00 00
  08 00 02 00  c6 12 00 01
  08 00 01 00  c6 12 00 01`);
// struct nlmsghdr: len 40, type RTM_NEWADDR (20), flags 0x605, seq 1, pid 0
// struct ifaddrmsg: AF_INET, prefixlen 32, flags 0, scope RT_SCOPE_UNIVERSE, index 5
// IFA_LOCAL (2) and IFA_ADDRESS (1): rta_len 8, 198.18.0.1 in network order

describe('netlink codec', () => {
  it('encodes an RTM_NEWADDR byte for byte as the kernel headers lay it out', () => {
    const msg = encodeMessage(
      { type: RTM.NEWADDR, flags: NLM_F.REQUEST | NLM_F.ACK | NLM_F.EXCL | NLM_F.CREATE, seq: 1 },
      encodeIfAddrMsg({ family: 2, prefixLen: 32, flags: 0, scope: 0, index: 5 }),
      [rtattr(IFA.LOCAL, ipToBytes('198.18.0.1')), rtattr(IFA.ADDRESS, ipToBytes('198.18.0.1'))],
    );
    expect(toHex(msg)).toBe(toHex(NEWADDR_198_18_0_1));
  });

  it('Rtnl.addrAdd sends exactly that message', () => {
    const sent: { type: number; family: Uint8Array; attrs: readonly Uint8Array[]; flags: number; what: string | (() => string) }[] = [];
    let lookups = 0;
    const fake = {
      request(type: number, family: Uint8Array, attrs: readonly Uint8Array[], what: string | (() => string), opts: { flags?: number } = {}) {
        sent.push({ type, family, attrs, what, flags: NLM_F.REQUEST | NLM_F.ACK | (opts.flags ?? 0) });
        return { errno: 0, replies: [] };
      },
      dump() {
        lookups++;
        // linkByIndex(5) for the error text: pretend it is venet0.
        const attrs = [rtattrString(IFLA.IFNAME, 'venet0')];
        const payload = encodeMessage({ type: RTM.NEWLINK, flags: 0, seq: 1 }, encodeIfInfoMsg({ index: 5 }), attrs);
        return parseMessages(payload);
      },
      close() {},
    } as unknown as NetlinkSocket;
    new Rtnl(fake).addrAdd(5, '198.18.0.1/32');
    expect(sent).toHaveLength(1);
    const s = sent[0]!;
    // The device name is looked up only when a message needs it.
    expect(lookups).toBe(0);
    expect(typeof s.what === 'function' ? s.what() : s.what).toBe('add address 198.18.0.1/32 to venet0');
    expect(lookups).toBe(1);
    expect(toHex(encodeMessage({ type: s.type, flags: s.flags, seq: 1 }, s.family, s.attrs))).toBe(toHex(NEWADDR_198_18_0_1));
  });

  it('pads attributes to 4 bytes; rta_len counts only header and payload', () => {
    expect([0, 1, 2, 3, 4, 5, 8].map(align4)).toEqual([0, 4, 4, 4, 4, 8, 8]);
    // IFLA_IFNAME "veth0": 4 + 6 (with NUL) = 10, padded to 12.
    expect(toHex(rtattrString(IFLA.IFNAME, 'veth0'))).toBe('0a 00 03 00 76 65 74 68 30 00 00 00');
    // An attribute with an empty payload is its header alone.
    expect(toHex(rtattr(9, new Uint8Array()))).toBe('04 00 09 00');
    // Padded attributes parse back one after the other.
    const buf = Uint8Array.from([...rtattrString(IFLA.IFNAME, 'veth0'), ...rtattrU32(IFLA.MTU, 1500), ...rtattr(IFLA.ADDRESS, macToBytes('02:00:c6:12:00:01'))]);
    const attrs = parseAttrs(buf);
    expect(attrs.map((a) => [a.type, a.data.length])).toEqual([[3, 6], [4, 4], [1, 6]]);
    const m = attrMap(buf);
    expect(attrString(m.get(IFLA.IFNAME))).toBe('veth0');
    expect(attrU32(m.get(IFLA.MTU))).toBe(1500);
    expect(bytesToMac(m.get(IFLA.ADDRESS)!)).toBe('02:00:c6:12:00:01');
  });

  it('nests a veth peer: IFLA_LINKINFO { KIND "veth", DATA { VETH_INFO_PEER: ifinfomsg + IFLA_IFNAME } }', () => {
    const peer = rtattr(VETH_INFO_PEER, Uint8Array.from([...encodeIfInfoMsg(), ...rtattrString(IFLA.IFNAME, 've1')]));
    const info = rtattrNested(IFLA.LINKINFO, [rtattrString(IFLA_INFO.KIND, 'veth'), rtattrNested(IFLA_INFO.DATA, [peer])]);
    // peer: 4 + 16 + 8 = 28; DATA: 4 + 28 = 32; KIND "veth\0": 9 -> 12; LINKINFO: 4 + 12 + 32 = 48.
    expect(peer.length).toBe(28);
    expect(info.length).toBe(48);
    expect(toHex(info.subarray(0, 16))).toBe('30 00 12 00 09 00 01 00 76 65 74 68 00 00 00 00');
    const outer = attrMap(info);
    const li = attrMap(outer.get(IFLA.LINKINFO)!);
    expect(attrString(li.get(IFLA_INFO.KIND))).toBe('veth');
    const data = attrMap(li.get(IFLA_INFO.DATA)!);
    const p = data.get(VETH_INFO_PEER)!;
    expect(decodeIfInfoMsg(p).index).toBe(0);
    expect(attrString(attrMap(p, IFINFOMSG_LEN).get(IFLA.IFNAME))).toBe('ve1');
  });

  it('encodes rtmsg fields in struct order', () => {
    // AF_INET, dst_len 32, src_len 0, tos 0, table main, proto boot, scope link, type unicast, flags 0
    expect(toHex(encodeRtMsg({ family: 2, dstLen: 32, table: 254, protocol: 3, scope: 253, type: 1 }))).toBe('02 20 00 00 fe 03 fd 01 00 00 00 00');
  });

  it('decodes an NLMSG_ERROR with the request echoed, and one CAPPED with an extended-ack message', () => {
    // EEXIST (-17) answering the RTM_NEWADDR above, payload echoed (no ACK_TLVS).
    const full = Uint8Array.from([...hex('3c 00 00 00  02 00  00 00  01 00 00 00  39 30 00 00  ef ff ff ff'), ...NEWADDR_198_18_0_1]);
    const [m] = parseMessages(full);
    expect(m!.type).toBe(NLMSG.ERROR);
    const e = decodeError(m!);
    expect(e.errno).toBe(17);
    expect(e.request).toEqual({ len: 40, type: RTM.NEWADDR, flags: 0x605, seq: 1, pid: 0 });
    expect(e.message).toBeUndefined();

    // Capped (0x100) with TLVs (0x200): only the request header, then NLMSGERR_ATTR_MSG "boom".
    const capped = hex(`
      30 00 00 00  02 00  00 03  07 00 00 00  39 30 00 00
      ea ff ff ff
      28 00 00 00  14 00  05 06  07 00 00 00  00 00 00 00
      09 00 01 00  62 6f 6f 6d 00 00 00 00`);
    const e2 = decodeError(parseMessages(capped)[0]!);
    expect(e2.errno).toBe(22);
    expect(e2.request.seq).toBe(7);
    expect(e2.message).toBe('boom');

    // An ACK is an error of 0.
    const ack = hex('24 00 00 00 02 00 00 01 01 00 00 00 39 30 00 00 00 00 00 00 28 00 00 00 14 00 05 06 01 00 00 00 00 00 00 00');
    expect(decodeError(parseMessages(ack)[0]!).errno).toBe(0);
  });

  it('splits a multi-part dump into its messages up to NLMSG_DONE', () => {
    const link = (index: number, name: string) =>
      encodeMessage({ type: RTM.NEWLINK, flags: NLM_F.MULTI, seq: 9, pid: 4242 }, encodeIfInfoMsg({ index, flags: 1 }), [rtattrString(IFLA.IFNAME, name), rtattrU32(IFLA.MTU, 1500 + index)]);
    const addr = encodeMessage({ type: RTM.NEWADDR, flags: NLM_F.MULTI, seq: 9 }, encodeIfAddrMsg({ family: 10, prefixLen: 64, flags: 0x80, scope: 0, index: 2 }), [rtattr(IFA.ADDRESS, ipToBytes('fd00::1'))]);
    const done = Uint8Array.from([...hex('14 00 00 00 03 00 02 00 09 00 00 00 92 10 00 00'), 0, 0, 0, 0]);
    const buf = Uint8Array.from([...link(1, 'lo'), ...link(2, 'veth0'), ...addr, ...done]);
    const msgs = parseMessages(buf);
    expect(msgs.map((m) => m.type)).toEqual([RTM.NEWLINK, RTM.NEWLINK, RTM.NEWADDR, NLMSG.DONE]);
    expect(msgs.every((m) => m.seq === 9)).toBe(true);
    expect(msgs.slice(0, 2).map((m) => [decodeIfInfoMsg(m.payload).index, attrString(attrMap(m.payload, IFINFOMSG_LEN).get(IFLA.IFNAME)), attrU32(attrMap(m.payload, IFINFOMSG_LEN).get(IFLA.MTU))]))
      .toEqual([[1, 'lo', 1501], [2, 'veth0', 1502]]);
    const a = msgs[2]!;
    expect(decodeIfAddrMsg(a.payload)).toEqual({ family: 10, prefixLen: 64, flags: 0x80, scope: 0, index: 2 });
    expect(bytesToIp(attrMap(a.payload, IFADDRMSG_LEN).get(IFA.ADDRESS)!)).toBe('fd00::1');
    expect(decodeDone(msgs[3]!)).toBe(0);
  });

  it('rejects a message whose length runs past the buffer', () => {
    const bad = hex('40 00 00 00 10 00 00 00 01 00 00 00 00 00 00 00');
    let err: unknown;
    try {
      parseMessages(bad);
    } catch (e) {
      err = e;
    }
    expect(isVzError(err) && err.message).toMatch(/malformed message at byte 0/);
  });
});

describe('addresses', () => {
  it('parses and prints IPv4 and IPv6 (RFC 5952)', () => {
    expect(Array.from(ipToBytes('198.18.0.1'))).toEqual([198, 18, 0, 1]);
    expect(bytesToIp(ipToBytes('fd00::1'))).toBe('fd00::1');
    expect(bytesToIp(ipToBytes('2001:db8:0:0:1:0:0:1'))).toBe('2001:db8::1:0:0:1');
    expect(bytesToIp(ipToBytes('::'))).toBe('::');
    expect(bytesToIp(ipToBytes('fd00:0:0:0:0:0:0:0'))).toBe('fd00::');
    expect(bytesToIp(ipToBytes('1:2:3:4:5:6:7:8'))).toBe('1:2:3:4:5:6:7:8');
    expect(toHex(ipToBytes('::ffff:198.18.0.1'))).toBe('00 00 00 00 00 00 00 00 00 00 ff ff c6 12 00 01');
  });

  it('parses prefixes, host prefixes and default', () => {
    expect(parsePrefix('198.18.0.1/32')).toMatchObject({ family: 4, address: '198.18.0.1', prefixLen: 32 });
    expect(parsePrefix('fd00::1')).toMatchObject({ family: 6, address: 'fd00::1', prefixLen: 128 });
    expect(parsePrefix('default', 6)).toMatchObject({ family: 6, prefixLen: 0 });
    expect(() => parsePrefix('198.18.0.1/33')).toThrow(/bad prefix length/);
    expect(() => parsePrefix('venet0')).toThrow(/not an IP address/);
    expect(() => macToBytes('02:00:00')).toThrow(/not a MAC/);
  });
});
