/**
 * rtnetlink from TypeScript: {@link Rtnl} for links, addresses, routes and proxy
 * neighbours; {@link openRtnl} / {@link inNetns} for sockets in another network
 * namespace; the codec for anything else NETLINK_ROUTE speaks.
 * @module
 */
export { Rtnl, IFF, RT_SCOPE, RT_TABLE, RTPROT, type Link, type Address, type Route, type RouteSpec, type Neighbour, type VethOptions, type AddrOptions } from './rtnl.js';
export { NetlinkSocket, openRtnl, inNetns, CLONE_NEWNET, type OpenRtnlOptions, type RequestOptions, type Doing } from './netlink-socket.js';
export * as netlink from './netlink-codec.js';
export { parsePrefix, ipToBytes, bytesToIp, macToBytes, bytesToMac, AF_INET, AF_INET6, type IpFamily, type IpPrefix } from './netaddr.js';
export { LinuxNetService } from './net-service.js';
