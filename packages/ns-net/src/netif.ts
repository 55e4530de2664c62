/**
 * veth interfaces as NETIF holds them (`ifname=eth0,bridge=br0,mac=...,host_ifname=...;
 * ifname=eth1`), `--netif_add`/`--netif_del`, and the names and MACs vzkit makes when
 * none are given: stable for a CTID and interface, so a restarted VE keeps its MAC (and
 * the DHCP lease or bridge entry that goes with it).
 */
import { createHash } from 'node:crypto';
import { ValueError } from '@vzkit/core';
import { netCode } from './errors.js';

export interface NetIf {
  /** Name inside the VE (`eth0`). */
  ifname: string;
  mac?: string;
  /** Name of the host end; default `veth<CTID>.<N>`. */
  hostIfname?: string;
  hostMac?: string;
  /** Bridge the host end joins. */
  bridge?: string;
}

/** IFNAMSIZ less the NUL: the kernel refuses longer device names. */
export const MAX_IFNAME = 15;

export function ifnameProblem(name: string): string | undefined {
  if (name.length === 0) return 'a device name is empty';
  if (name.length > MAX_IFNAME) return `device name '${name}' is longer than ${MAX_IFNAME} characters`;
  if (!/^[A-Za-z0-9_.-]+$/.test(name) || name === '.' || name === '..') return `device name '${name}' may hold only letters, digits, '.', '_' and '-'`;
  return undefined;
}

function checkName(name: string, what: string): string {
  const p = ifnameProblem(name);
  if (p) throw new ValueError(`${what}: ${p}`);
  return name;
}

/** Lower-case `aa:bb:cc:dd:ee:ff`; a multicast MAC (low bit of the first octet) is refused. */
export function normalizeMac(mac: string): string {
  const parts = mac.split(/[:-]/);
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{1,2}$/.test(p))) throw new ValueError(`'${mac}' is not a MAC address (XX:XX:XX:XX:XX:XX)`);
  const bytes = parts.map((p) => parseInt(p, 16));
  if ((bytes[0]! & 1) === 1) throw new ValueError(`${mac} is a multicast MAC address`);
  if (bytes.every((b) => b === 0)) throw new ValueError(`${mac} is the zero MAC address`);
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

const FIELDS: Record<string, keyof NetIf> = { ifname: 'ifname', mac: 'mac', host_ifname: 'hostIfname', host_mac: 'hostMac', bridge: 'bridge' };

function checked(n: NetIf): NetIf {
  checkName(n.ifname, 'ifname');
  if (n.ifname === 'lo' || n.ifname === 'venet0') throw new ValueError(`'${n.ifname}' is made by vzkit itself; choose another ifname`);
  if (n.hostIfname !== undefined) checkName(n.hostIfname, 'host_ifname');
  if (n.bridge !== undefined) checkName(n.bridge, 'bridge');
  if (n.mac !== undefined) n.mac = normalizeMac(n.mac);
  if (n.hostMac !== undefined) n.hostMac = normalizeMac(n.hostMac);
  return n;
}

function parseEntry(entry: string): NetIf {
  const out: Partial<NetIf> = {};
  for (const pair of entry.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = pair.indexOf('=');
    const field = eq < 0 ? undefined : FIELDS[pair.slice(0, eq)];
    // mac_filter is OpenVZ's; kept readable for old configs, nothing to do without it.
    if (eq > 0 && pair.slice(0, eq) === 'mac_filter') continue;
    if (!field) throw new ValueError(`'${pair}' is not one of ifname=, mac=, host_ifname=, host_mac=, bridge=`);
    out[field] = pair.slice(eq + 1);
  }
  if (!out.ifname) throw new ValueError(`'${entry}' has no ifname=`);
  return checked(out as NetIf);
}

export function parseNetifs(raw: string): NetIf[] {
  const list = raw.split(';').map((s) => s.trim()).filter(Boolean).map(parseEntry);
  const seen = new Set<string>();
  for (const n of list) {
    if (seen.has(n.ifname)) throw new ValueError(`interface ${n.ifname} is listed twice`);
    seen.add(n.ifname);
  }
  return list;
}

export function formatNetifs(list: readonly NetIf[]): string {
  return list.map((n) => [
    `ifname=${n.ifname}`,
    n.bridge !== undefined ? `bridge=${n.bridge}` : '',
    n.mac !== undefined ? `mac=${n.mac}` : '',
    n.hostIfname !== undefined ? `host_ifname=${n.hostIfname}` : '',
    n.hostMac !== undefined ? `host_mac=${n.hostMac}` : '',
  ].filter(Boolean).join(',')).join(';');
}

/** `--netif_add ifname[,mac,host_ifname,host_mac,bridge]` (empty fields: generated). */
export function netifAdd(current: readonly NetIf[], arg: string): NetIf[] {
  const [ifname = '', mac, hostIfname, hostMac, bridge, ...rest] = arg.split(',').map((s) => s.trim());
  if (rest.length) throw new ValueError(`'${arg}' has more than ifname,mac,host_ifname,host_mac,bridge`);
  const n: NetIf = { ifname };
  if (mac) n.mac = mac;
  if (hostIfname) n.hostIfname = hostIfname;
  if (hostMac) n.hostMac = hostMac;
  if (bridge) n.bridge = bridge;
  checked(n);
  if (current.some((c) => c.ifname === n.ifname)) throw new ValueError(`the VE already has an interface ${n.ifname}`, netCode('VETH_ERROR'));
  return [...current, n];
}

/** `--netif_del ifname|all`. */
export function netifDel(current: readonly NetIf[], arg: string): NetIf[] {
  if (arg === 'all') return [];
  if (!current.some((c) => c.ifname === arg)) throw new ValueError(`the VE has no interface ${arg}`, netCode('VETH_ERROR'));
  return current.filter((c) => c.ifname !== arg);
}

/**
 * A MAC from OpenVZ's OUI 00:18:51 and a hash of the CTID and a label: the same for
 * every start of the VE, different for each interface and end.
 */
export function stableMac(ctid: number, label: string): string {
  const h = createHash('sha256').update(`vzkit:${ctid}:${label}`).digest();
  return ['00', '18', '51', ...[h[0]!, h[1]!, h[2]!].map((b) => b.toString(16).padStart(2, '0'))].join(':');
}

/**
 * The host end's name: `veth<CTID>.<N>` with N the number that ends ifname (eth0 → 0),
 * as vzctl names it; an ifname without a number gets a short hash of it instead.
 */
export function defaultHostIfname(ctid: number, ifname: string): string {
  const n = /(\d+)$/.exec(ifname)?.[1] ?? `x${createHash('sha256').update(ifname).digest('hex').slice(0, 3)}`;
  return `veth${ctid}.${n}`;
}

/** What the VE's interface really gets: given names and MACs, else vzkit's. */
export function resolveNetif(ctid: number, n: NetIf): Required<Omit<NetIf, 'bridge'>> & Pick<NetIf, 'bridge'> {
  return {
    ifname: n.ifname,
    mac: n.mac ?? stableMac(ctid, n.ifname),
    hostIfname: n.hostIfname ?? defaultHostIfname(ctid, n.ifname),
    hostMac: n.hostMac ?? stableMac(ctid, `host:${n.ifname}`),
    ...(n.bridge !== undefined ? { bridge: n.bridge } : {}),
  };
}
