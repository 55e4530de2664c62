/**
 * NETFILTER (disabled|stateless|stateful|full) and the older IPTABLES module list, and
 * the network features of FEATURES (bridge, sit, ipip, ipgre). On OpenVZ the kernel
 * gave each VE the netfilter tables and device types its config allowed. A mainline
 * kernel has no such switch: a VE's root holds CAP_NET_ADMIN in its own network
 * namespace, and with it every netfilter table (filter, mangle, raw, nat), connection
 * tracking (its own table per namespace, created on first use) and every virtual device
 * type the kernel has. So `full` is what every VE gets. `disabled` is enforced by a
 * seccomp filter on the calls that configure netfilter; `stateless` and `stateful` are
 * accepted, because OpenVZ's configs carry them, and said to be unenforced: no call
 * tells a conntrack or NAT rule from a filter rule.
 */
import { defineKey, oneOf, ValueError, type ConfigView, type FeatureDecl, type HookContext, type SeccompRule, type ValueType } from '@vzkit/core';

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
const NAT_MODULES = ['iptable_nat', 'ip_nat_ftp', 'ip_nat_irc', 'ipt_REDIRECT'];
const CONNTRACK_MODULES = ['ip_conntrack', 'ip_conntrack_ftp', 'ip_conntrack_irc', 'ipt_conntrack', 'ipt_state', 'ipt_helper'];
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

/** The level the config asks for: NETFILTER, else what IPTABLES amounts to, else none. */
export function netfilterLevel(config: ConfigView): NetfilterLevel | undefined {
  const level = config.get(NETFILTER);
  if (level) return level;
  const modules = config.get(IPTABLES);
  if (!modules) return undefined;
  if (modules.some((m) => NAT_MODULES.includes(m))) return 'full';
  if (modules.some((m) => CONNTRACK_MODULES.includes(m))) return 'stateful';
  return modules.length ? 'stateless' : 'disabled';
}

const WITHHELD: Record<'stateless' | 'stateful', string> = {
  stateless: 'the VE\'s root can still use connection tracking and NAT',
  stateful: 'the VE\'s root can still use NAT',
};

/** A warning for a level the VE's own network namespace gives more than; undefined for full and disabled. */
export function unenforced(ctx: HookContext): string | undefined {
  const level = netfilterLevel(ctx.ve.config);
  if (level !== 'stateless' && level !== 'stateful') return undefined;
  const from = ctx.ve.config.get(NETFILTER) ? 'NETFILTER' : 'IPTABLES';
  return `${from} ${from === 'NETFILTER' ? level : `(${level})`}: not enforced: ${WITHHELD[level]} in its own network namespace, where it holds CAP_NET_ADMIN (a mainline kernel has no per-namespace netfilter switch)`;
}

const SOL_IP = 0;
const SOL_IPV6 = 41;
const AF_NETLINK = 16;
const NETLINK_NETFILTER = 12;
const setsockopt = (level: number, option: number): SeccompRule => ({ call: 'setsockopt', errno: 'EPERM', when: [{ arg: 1, equals: level }, { arg: 2, equals: option }] });

/**
 * NETFILTER=disabled: the calls that change netfilter, refused with EPERM. nftables,
 * iptables-nft, conntrack and nfqueue speak NETLINK_NETFILTER; the legacy tools replace
 * whole tables with setsockopt: iptables (IPT_SO_SET_REPLACE 64, IPT_SO_SET_ADD_COUNTERS
 * 65 on IPv4 and IPv6), arptables (96, 97) and ebtables (EBT_SO_SET_ENTRIES 128,
 * EBT_SO_SET_COUNTERS 129). Everything else the network needs stays.
 */
export const NETFILTER_CALLS: readonly SeccompRule[] = [
  { call: 'socket', errno: 'EPERM', when: [{ arg: 0, equals: AF_NETLINK }, { arg: 2, equals: NETLINK_NETFILTER }] },
  ...[64, 65, 96, 97, 128, 129].map((o) => setsockopt(SOL_IP, o)),
  ...[64, 65].map((o) => setsockopt(SOL_IPV6, o)),
];

/** Device types a root with CAP_NET_ADMIN in its own network namespace makes there, and the kernel option that provides each. */
const NET_DEVICES: ReadonlyArray<[name: string, config: string, what: string]> = [
  ['bridge', 'CONFIG_BRIDGE', 'bridges'],
  ['sit', 'CONFIG_IPV6_SIT', 'sit (IPv6-in-IPv4) tunnels'],
  ['ipip', 'CONFIG_NET_IPIP', 'ipip tunnels'],
  ['ipgre', 'CONFIG_NET_IPGRE', 'GRE tunnels'],
];

export const NET_FEATURES: readonly FeatureDecl[] = NET_DEVICES.map(([name, option, what]) => ({
  name,
  description: `${what} in the VE's own network namespace (always there when the host kernel has them)`,
  async check(ctx: HookContext, on: boolean) {
    if (!on) return `the VE's root makes ${what} in its own network namespace, where it holds CAP_NET_ADMIN; nothing withholds them`;
    const config = await ctx.host.system.kernelConfig();
    return config && !config.has(option) ? `the host kernel has no ${name} driver (${option})` : undefined;
  },
}));
