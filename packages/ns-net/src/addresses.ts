/**
 * VE addresses as IP_ADDRESS holds them (`198.18.0.1 198.18.0.2/24 2001:db8::1`):
 * parsing, normal form, and which addresses a VE may not have. Pure functions.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { ValueError } from '@vzkit/core';
import { netCode } from './errors.js';

export interface VeAddress {
  family: 4 | 6;
  /** The address alone, normalized (IPv6 compressed, lower case). */
  ip: string;
  /** Prefix length inside the VE: as given, else a host prefix (32 / 128). */
  prefixLen: number;
  /** Whether the config gave a prefix (kept when written back). */
  explicitPrefix: boolean;
}

/** RFC 5952 text of an IPv6 address (the URL parser knows the rules). */
function normalizeV6(ip: string): string {
  return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
}

function v4Problem(ip: string): string | undefined {
  const [a = 0, b = 0, c = 0, d = 0] = ip.split('.').map(Number);
  if (a === 0) return 'addresses in 0.0.0.0/8 cannot be used';
  if (a === 127) return 'loopback addresses belong to every VE already';
  if (a >= 224 && a <= 239) return 'it is a multicast address';
  if (a === 255 && b === 255 && c === 255 && d === 255) return 'it is the broadcast address';
  if (a >= 240) return 'addresses in 240.0.0.0/4 are reserved';
  return undefined;
}

function v6Problem(ip: string): string | undefined {
  if (ip === '::') return 'it is the unspecified address';
  if (ip === '::1') return 'loopback addresses belong to every VE already';
  if (/^ff/i.test(ip)) return 'it is a multicast address';
  if (/^fe[89ab]/i.test(ip)) return 'link-local addresses are made per device, not assigned';
  return undefined;
}

/** One `IP[/prefix]`; throws ValueError (BAD_IP, vzctl's exit 71). */
export function parseVeAddress(text: string): VeAddress {
  const slash = text.indexOf('/');
  const raw = slash < 0 ? text : text.slice(0, slash);
  const family = isIPv4(raw) ? 4 : isIPv6(raw) && !raw.includes('%') ? 6 : undefined;
  if (!family) throw new ValueError(`'${text}' is not an IPv4 or IPv6 address`, netCode('BAD_IP'));
  const ip = family === 4 ? raw : normalizeV6(raw);
  const problem = family === 4 ? v4Problem(ip) : v6Problem(ip);
  if (problem) throw new ValueError(`${text}: ${problem}`, netCode('BAD_IP'));
  const max = family === 4 ? 32 : 128;
  if (slash < 0) return { family, ip, prefixLen: max, explicitPrefix: false };
  const lenText = text.slice(slash + 1);
  // A dotted netmask (10.0.0.1/255.255.255.0) is accepted as vzctl does.
  const len = family === 4 && isIPv4(lenText) ? maskLength(lenText) : /^\d{1,3}$/.test(lenText) ? Number(lenText) : NaN;
  if (!(len >= 1 && len <= max)) throw new ValueError(`${text}: the prefix must be 1-${max}`, netCode('BAD_IP'));
  return { family, ip, prefixLen: len, explicitPrefix: true };
}

function maskLength(mask: string): number {
  const bits = mask.split('.').map((o) => Number(o).toString(2).padStart(8, '0')).join('');
  return /^1*0*$/.test(bits) ? bits.indexOf('0') < 0 ? 32 : bits.indexOf('0') : NaN;
}

export function formatVeAddress(a: VeAddress): string {
  return a.explicitPrefix ? `${a.ip}/${a.prefixLen}` : a.ip;
}

/** `ip/len` as the kernel is given it inside the VE. */
export const cidrOf = (a: VeAddress) => `${a.ip}/${a.prefixLen}`;

/** The host route that leads to the VE: always the address alone. */
export const hostRouteOf = (a: VeAddress) => `${a.ip}/${a.family === 4 ? 32 : 128}`;

/** Parses a whole IP_ADDRESS list; the same address twice is kept once. */
export function parseAddressList(raw: string): VeAddress[] {
  const out: VeAddress[] = [];
  for (const word of raw.split(/[\s,]+/).filter(Boolean)) {
    const a = parseVeAddress(word);
    if (!out.some((o) => o.ip === a.ip)) out.push(a);
  }
  return out;
}

/** `--ipadd`: appends; an address already there keeps its place (and takes the new prefix). */
export function addAddress(current: readonly VeAddress[], arg: string): VeAddress[] {
  const next = [...current];
  for (const a of parseAddressList(arg)) {
    const i = next.findIndex((o) => o.ip === a.ip);
    if (i >= 0) next[i] = a;
    else next.push(a);
  }
  return next;
}

/** `--ipdel IP|all`: an address the VE does not have is an error, as in vzctl. */
export function deleteAddress(current: readonly VeAddress[], arg: string): VeAddress[] {
  if (arg === 'all') return [];
  let next = [...current];
  for (const word of arg.split(/[\s,]+/).filter(Boolean)) {
    const a = parseVeAddress(word);
    if (!next.some((o) => o.ip === a.ip)) throw new ValueError(`${a.ip} is not an address of this VE`, netCode('BAD_IP'));
    next = next.filter((o) => o.ip !== a.ip);
  }
  return next;
}
