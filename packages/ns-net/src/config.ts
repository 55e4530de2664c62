/** The config keys ns-net owns. */
import { isIP } from 'node:net';
import { defineKey, oneOf, ValueError, type ValueType } from '@vzkit/core';
import { netCode, type NetErrorCode } from './errors.js';
import { addAddress, deleteAddress, formatVeAddress, parseAddressList, type VeAddress } from './addresses.js';
import { formatNetifs, ifnameProblem, netifAdd, netifDel, parseNetifs, type NetIf } from './netif.js';

const addressList: ValueType<VeAddress[]> = {
  arg: '"IP[/PREFIX] ..."',
  parse: parseAddressList,
  format: (v) => v.map(formatVeAddress).join(' '),
};

/** venet addresses, IPv4 and IPv6, each routed to the VE; live by `--ipadd` / `--ipdel`. */
export const IP_ADDRESS = defineKey<VeAddress[]>({
  name: 'IP_ADDRESS', identity: true,
  type: addressList,
  live: true,
  description: 'Addresses of the VE on venet0 (routed from the host), IPv4 and IPv6',
  editFlags: [
    { flag: 'ipadd', arg: 'IP[/PREFIX]', description: 'Add an address on venet0 (repeatable)', apply: (cur, arg) => addAddress(cur ?? [], arg) },
    { flag: 'ipdel', arg: 'IP|all', description: 'Remove an address from venet0, or all of them', apply: (cur, arg) => deleteAddress(cur ?? [], arg) },
  ],
});

const netifType: ValueType<NetIf[]> = { arg: '"ifname=eth0,bridge=br0,...;..."', parse: parseNetifs, format: formatNetifs };

/** veth interfaces (bridged Ethernet); live by `--netif_add` / `--netif_del`. */
export const NETIF = defineKey<NetIf[]>({
  name: 'NETIF',
  type: netifType,
  live: true,
  description: 'veth interfaces of the VE: ifname, mac, host_ifname, host_mac, bridge',
  editFlags: [
    {
      flag: 'netif_add', arg: 'IFNAME[,MAC,HOST_IFNAME,HOST_MAC,BRIDGE]',
      description: 'Add a veth interface (empty fields: generated names and stable MACs)',
      apply: (cur, arg) => netifAdd(cur ?? [], arg),
    },
    { flag: 'netif_del', arg: 'IFNAME|all', description: 'Remove a veth interface, or all of them', apply: (cur, arg) => netifDel(cur ?? [], arg) },
  ],
});

/** Words separated by blanks or commas, each checked; a bad one is refused with `code`. */
function wordList(arg: string, code: NetErrorCode, problem: (word: string) => string | undefined): ValueType<string[]> {
  return {
    arg,
    parse(raw) {
      const list = raw.split(/[\s,]+/).filter(Boolean);
      for (const w of list) {
        const p = problem(w);
        if (p) throw new ValueError(p, netCode(code));
      }
      return list;
    },
    format: (v) => v.join(' '),
  };
}

/** `inherit` (the host's servers) or addresses. */
const nameservers = wordList('IP|inherit', 'BAD_NAMESERVER', (w) => (w === 'inherit' || isIP(w) ? undefined : `'${w}' is not an IP address or 'inherit'`));

/** DNS servers written to the VE's /etc/resolv.conf (`--nameserver "IP IP"`: the value replaces the list). */
export const NAMESERVER = defineKey<string[]>({
  name: 'NAMESERVER',
  flag: 'nameserver',
  type: nameservers,
  live: true,
  description: "DNS servers for the VE's /etc/resolv.conf; 'inherit' copies the host's",
});

/** Labels of letters, digits and inner hyphens, 1-63 characters, a trailing dot allowed. */
function isDomain(w: string): boolean {
  const labels = w.replace(/\.$/, '').split('.');
  return w.length <= 253 && labels.every((l) => /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(l));
}

const domains = wordList('DOMAIN', 'BAD_SEARCHDOMAIN', (w) => (isDomain(w) ? undefined : `'${w}' is not a domain name`));

export const SEARCHDOMAIN = defineKey<string[]>({
  name: 'SEARCHDOMAIN',
  flag: 'searchdomain',
  type: domains,
  live: true,
  description: "DNS search domains for the VE's /etc/resolv.conf",
});

const devList: ValueType<string[] | 'detect' | 'none'> = {
  arg: 'detect|none|"DEV ..."',
  parse(raw) {
    const t = raw.trim();
    if (t === 'detect' || t === 'none' || t === '') return t === '' ? 'none' : t;
    const list = t.split(/[\s,]+/);
    for (const d of list) {
      const p = ifnameProblem(d);
      if (p) throw new ValueError(p);
    }
    return list;
  },
  format: (v) => (Array.isArray(v) ? v.join(' ') : v),
};

/**
 * Host devices that answer ARP/NDP for the VE's addresses (proxy neighbours), so the
 * LAN reaches the VE like a host. `detect`: every up device that does ARP and is not a
 * VE's; the default on the real system. Under a VZKIT_ROOT the default is none: tests
 * and benchmarks never speak on the machine's own LAN.
 */
export const NEIGHBOUR_DEVS = defineKey<string[] | 'detect' | 'none'>({
  name: 'NEIGHBOUR_DEVS',
  type: devList,
  live: false,
  description: 'Host devices that answer ARP/NDP for VE addresses: detect, none or a list',
});

export const NETFILTER_LEVELS = ['disabled', 'stateless', 'stateful', 'full'] as const;
export type NetfilterLevel = (typeof NETFILTER_LEVELS)[number];

export const NETFILTER = defineKey<NetfilterLevel>({
  name: 'NETFILTER',
  flag: 'netfilter',
  type: oneOf(NETFILTER_LEVELS),
  // OpenVZ: restart-only.
  live: false,
  description: 'Netfilter in the VE: disabled (enforced: its configuration calls are refused), stateless or stateful (not enforced: the VE\'s own network namespace has full), full',
});

/** vzctl's IPTABLES module names, by what they need: NAT, connection tracking, or neither. */
export const NAT_MODULES = ['iptable_nat', 'ip_nat_ftp', 'ip_nat_irc', 'ipt_REDIRECT'];
export const CONNTRACK_MODULES = ['ip_conntrack', 'ip_conntrack_ftp', 'ip_conntrack_irc', 'ipt_conntrack', 'ipt_state', 'ipt_helper'];
const STATELESS_MODULES = [
  'ip_tables', 'iptable_filter', 'iptable_mangle', 'ipt_limit', 'ipt_multiport', 'ipt_tos', 'ipt_TOS', 'ipt_REJECT',
  'ipt_TCPMSS', 'ipt_tcpmss', 'ipt_ttl', 'ipt_LOG', 'ipt_length', 'xt_mac', 'ipt_owner',
];
const MODULES = [...STATELESS_MODULES, ...CONNTRACK_MODULES, ...NAT_MODULES];

const moduleList: ValueType<string[]> = {
  arg: '"MODULE ..."',
  parse(raw) {
    const names = raw.split(/[\s,]+/).filter(Boolean);
    const bad = names.find((n) => !MODULES.includes(n));
    if (bad) throw new ValueError(`'${bad}' is not one of vzctl's iptables modules (${MODULES.join(', ')})`);
    return names;
  },
  format: (v) => v.join(' '),
};

/** OpenVZ's obsolete module list; read as the NETFILTER level it amounts to. */
export const IPTABLES = defineKey<string[]>({
  name: 'IPTABLES',
  type: moduleList,
  live: false,
  description: 'Obsolete (use NETFILTER): iptables modules of the VE, read as a NETFILTER level',
  // A flag that replaces the list, saved space-separated as vzctl writes it.
  editFlags: [{
    flag: 'iptables',
    arg: 'MODULE[,...]',
    description: 'Obsolete (use --netfilter): iptables modules, read as NETFILTER (nat modules: full; conntrack ones: stateful; else stateless)',
    apply: (_current, arg) => moduleList.parse(arg),
  }],
});
