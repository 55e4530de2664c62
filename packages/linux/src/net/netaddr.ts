/**
 * IPv4/IPv6 addresses and prefixes as netlink carries them: network-order bytes.
 * Pure functions, no kernel access.
 * @module
 */
import { isIPv4, isIPv6 } from 'node:net';
import { vzError } from '@vzkit/core';

/** AF_INET, AF_INET6 (linux/socket.h). */
export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_INET6 = 10;

export type IpFamily = 4 | 6;

export interface IpPrefix {
  family: IpFamily;
  /** The address as written (normalized: IPv6 in RFC 5952 form). */
  address: string;
  /** Network-order bytes: 4 for IPv4, 16 for IPv6. */
  bytes: Uint8Array;
  prefixLen: number;
}

export function afOf(family: IpFamily): number {
  return family === 4 ? AF_INET : AF_INET6;
}

export function familyOfAf(af: number): IpFamily | undefined {
  return af === AF_INET ? 4 : af === AF_INET6 ? 6 : undefined;
}

/** Network-order bytes of an IPv4 or IPv6 address; throws BAD_VALUE for anything else. */
export function ipToBytes(ip: string): Uint8Array {
  if (isIPv4(ip)) return Uint8Array.from(ip.split('.').map(Number));
  if (isIPv6(ip)) return ipv6ToBytes(ip);
  throw vzError('BAD_VALUE', `not an IP address: ${ip}`);
}

function ipv6ToBytes(ip: string): Uint8Array {
  let text = ip.replace(/%.*$/, '');
  const out = new Uint8Array(16);
  // A trailing dotted quad (::ffff:1.2.3.4) becomes two groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1]) {
    const b = v4[1].split('.').map(Number);
    text = text.slice(0, -v4[1].length) + `${(((b[0] ?? 0) << 8) | (b[1] ?? 0)).toString(16)}:${(((b[2] ?? 0) << 8) | (b[3] ?? 0)).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const groups = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  const all = [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  all.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  return out;
}

/** The text form of 4 or 16 network-order bytes (IPv6 compressed per RFC 5952). */
export function bytesToIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  if (bytes.length !== 16) throw vzError('BAD_VALUE', `an IP address has 4 or 16 bytes, not ${bytes.length}`);
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  // Longest run of two or more zero groups, the first one on a tie.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

/**
 * `198.18.0.1/32`, `fd00::1/64` or a bare address (a host prefix: /32 or /128);
 * `default` with a family gives the zero prefix.
 */
export function parsePrefix(cidr: string, defaultFamily?: IpFamily): IpPrefix {
  if (cidr === 'default' || cidr === 'any') {
    const family = defaultFamily ?? 4;
    return { family, address: family === 4 ? '0.0.0.0' : '::', bytes: new Uint8Array(family === 4 ? 4 : 16), prefixLen: 0 };
  }
  const slash = cidr.lastIndexOf('/');
  const ip = slash < 0 ? cidr : cidr.slice(0, slash);
  const bytes = ipToBytes(ip);
  const family: IpFamily = bytes.length === 4 ? 4 : 6;
  const max = family === 4 ? 32 : 128;
  const lenText = slash < 0 ? String(max) : cidr.slice(slash + 1);
  const prefixLen = /^\d{1,3}$/.test(lenText) ? Number(lenText) : NaN;
  if (!(prefixLen >= 0 && prefixLen <= max)) throw vzError('BAD_VALUE', `bad prefix length in ${cidr} (0-${max})`);
  return { family, address: bytesToIp(bytes), bytes, prefixLen };
}

/** `aa:bb:cc:dd:ee:ff` to 6 bytes; throws BAD_VALUE otherwise. */
export function macToBytes(mac: string): Uint8Array {
  const parts = mac.split(/[:-]/);
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{1,2}$/.test(p))) throw vzError('BAD_VALUE', `not a MAC address: ${mac}`);
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

export function bytesToMac(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(':');
}
