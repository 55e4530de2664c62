/**
 * @vzkit/ns-net — the VE's network namespace: venet (routed addresses, IP_ADDRESS,
 * `--ipadd`/`--ipdel`), veth interfaces (NETIF, `--netif_add`/`--netif_del`), DNS
 * settings (NAMESERVER, SEARCHDOMAIN) and NEIGHBOUR_DEVS; all live.
 * @packageDocumentation
 */
export { nsNetPlugin } from './plugin.js';
export { IP_ADDRESS, NETIF, NAMESERVER, SEARCHDOMAIN, NEIGHBOUR_DEVS, NETFILTER, IPTABLES, NETFILTER_LEVELS, type NetfilterLevel } from './config.js';
export { netfilterLevel } from './plan.js';
export { parseVeAddress, parseAddressList, formatVeAddress, type VeAddress } from './addresses.js';
export { parseNetifs, formatNetifs, stableMac, defaultHostIfname, type NetIf } from './netif.js';
export { editResolvConf } from './resolv.js';
export { venetHostName, type NetState } from './wiring.js';
export { NET_EXITS, netError, type NetErrorCode } from './errors.js';
export { NET_METRICS } from './metrics.js';
