/**
 * What NETFILTER (and the older IPTABLES module list) asks of a VE. On OpenVZ the kernel
 * gave each VE the netfilter tables its config allowed. A mainline kernel has no such
 * switch: a VE's root holds CAP_NET_ADMIN in its own network namespace, and with it
 * every netfilter table (filter, mangle, raw, nat) and connection tracking (its own
 * table per namespace, created on first use). So `full` is what every VE gets.
 * `disabled` is enforced by a seccomp filter on the calls that configure netfilter;
 * `stateless` and `stateful` are accepted, because OpenVZ's configs carry them, and said
 * to be unenforced: no call tells a conntrack or NAT rule from a filter rule. Pure.
 */
import type { ChildOp, ConfigView, SeccompRule } from '@vzkit/core';
import { CONNTRACK_MODULES, IPTABLES, NAT_MODULES, NETFILTER, type NetfilterLevel } from './config.js';

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
export function unenforced(config: ConfigView): string | undefined {
  const level = netfilterLevel(config);
  if (level !== 'stateless' && level !== 'stateful') return undefined;
  const from = config.get(NETFILTER) ? 'NETFILTER' : 'IPTABLES';
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

/** The filter every process of the VE gets for its netfilter level: only `disabled` has one. */
export function netfilterOp(config: ConfigView): ChildOp | undefined {
  return netfilterLevel(config) === 'disabled' ? { op: 'seccomp', deny: [], rules: [...NETFILTER_CALLS] } : undefined;
}
