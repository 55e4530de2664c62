/**
 * Wiring a running VE into the host's network through the Host's NetService: the venet
 * pair (routed addresses), veth interfaces (bridged) and proxy neighbours. Every host
 * object is recorded in the plugin's state *before* it is made, so `cleanup` after a
 * killed vzctl removes exactly what exists.
 */
import { vzError, wrapError, type HookContext, type NetnsRef } from '@vzkit/core';
import { netError, NET_EXITS, type NetErrorCode } from './errors.js';
import { cidrOf, hostRouteOf, type VeAddress } from './addresses.js';
import { resolveNetif, stableMac, type NetIf } from './netif.js';

/** What ns-net made on the host for a running VE (state.json). */
export interface NetState {
  /** Host ends of veth pairs: venet<CTID>, veth<CTID>.N. */
  devs: string[];
  /** Proxy neighbour entries on the host's LAN devices. */
  proxies: Array<{ ip: string; dev: string }>;
}

export type NetCtx = HookContext<NetState>;

/** The VE-side device that carries its addresses. */
export const VENET = 'venet0';

/** The host end of a VE's venet pair. */
export const venetHostName = (ctid: number) => `venet${ctid}`;

const current = (ctx: NetCtx): NetState => ctx.state.get() ?? { devs: [], proxies: [] };

async function record(ctx: NetCtx, change: (s: NetState) => NetState): Promise<void> {
  await ctx.state.set(change(current(ctx)));
}

/** Runs a NetService call, naming the VE and what it was doing when the kernel refuses. */
async function net<T>(ctx: NetCtx, what: string, fn: () => Promise<T>, code: NetErrorCode | 'ENV_CREATE' = 'CANT_ADDIP'): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw wrapError(e, `${ctx.ve.label}: ${what}`, { code, ...(code === 'ENV_CREATE' ? {} : { exit: NET_EXITS[code] }), about: ctx.ve.label });
  }
}

/**
 * The venet pair: `venet0` in the VE, `venet<CTID>` on the host, both without ARP and
 * with one MAC, so each side's frames go straight to the other (a point-to-point link,
 * as OpenVZ's venet, on a plain veth). A VE cannot send from another's address:
 * packets whose source the host would not route back to this VE are dropped, by
 * rp_filter on the host end for IPv4 and by the host's source check (nftables) for
 * both. The host end takes no IPv6 at all until the VE has an IPv6 address.
 */
export async function ensureVenet(ctx: NetCtx, pid: number): Promise<void> {
  const host = venetHostName(ctx.ve.ctid);
  if (await ctx.host.net.link('host', host)) {
    if (current(ctx).devs.includes(host)) return;
    // Not ours: the same CTID of another vzkit root (VZKIT_ROOT) on this host.
    throw netError('VETH_ERROR', `${ctx.ve.label}: host device ${host} already exists and is not this VE's`, { about: ctx.ve.label });
  }
  const mac = stableMac(ctx.ve.ctid, 'venet');
  await record(ctx, (s) => ({ ...s, devs: [...new Set([...s.devs, host])] }));
  await net(ctx, `create ${host}/${VENET}`, () => ctx.host.net.addVeth('host', { name: host, peer: VENET, peerNs: { pid }, mac, peerMac: mac }));
  await net(ctx, `turn on rp_filter of ${host}`, () => ctx.host.net.setSysctl('host', `net/ipv4/conf/${host}/rp_filter`, '1'));
  await net(ctx, `bring up ${host}`, () => ctx.host.net.setLink('host', host, { noarp: true, up: true }));
  await net(ctx, `turn off IPv6 on ${host}`, () => ctx.host.net.setSysctl('host', `net/ipv6/conf/${host}/disable_ipv6`, '1'));
  await net(ctx, `bring up ${VENET}`, () => ctx.host.net.setLink({ pid }, VENET, { noarp: true, up: true }));
}

const checked = new WeakSet<object>();

/**
 * IPv6 on the host end, once the VE has an IPv6 address: only with the source check in
 * place (IPv6 has no rp_filter). Without nftables the VE gets no IPv6 rather than an
 * unchecked one.
 */
async function enableIpv6(ctx: NetCtx, host: string): Promise<void> {
  if (!checked.has(ctx.host)) {
    try {
      await ctx.host.net.checkSources('host', 'venet');
    } catch (e) {
      throw wrapError(e, `${ctx.ve.label}: IPv6 addresses need the host to check packet sources`, { code: 'CANT_ADDIP', exit: NET_EXITS.CANT_ADDIP, about: ctx.ve.label });
    }
    checked.add(ctx.host);
  }
  await net(ctx, `turn on IPv6 on ${host}`, () => ctx.host.net.setSysctl('host', `net/ipv6/conf/${host}/disable_ipv6`, '0'));
}

/** Host devices that answer ARP/NDP for VE addresses (NEIGHBOUR_DEVS resolved). */
export async function neighbourDevs(ctx: NetCtx, setting: string[] | 'detect' | 'none' | undefined): Promise<string[]> {
  const s = setting ?? (ctx.ve.paths.prefix === '' ? 'detect' : 'none');
  if (s === 'none') return [];
  if (s === 'detect') {
    // OpenVZ's rule: up, does ARP, not loopback, not enslaved, not a VE's own end.
    const links = await ctx.host.net.links('host');
    return links.filter((l) => l.up && !l.loopback && !l.noarp && !l.master && l.kind !== 'veth' && !/^(venet|veth)/.test(l.name)).map((l) => l.name);
  }
  const present = await Promise.all(s.map((d) => ctx.host.net.link('host', d)));
  const missing = s.filter((_, i) => !present[i]);
  if (missing.length) ctx.log.warn(`NEIGHBOUR_DEVS: no device ${missing.join(', ')} on the host; skipped`);
  return s.filter((d) => !missing.includes(d));
}

const warned = new WeakSet<object>();

/**
 * VE-to-VE and VE-to-LAN traffic is forwarded by the host. On the real system vzkit
 * turns forwarding on, as OpenVZ did, and says so; under a VZKIT_ROOT it changes no
 * host-wide setting and only warns.
 */
export async function ensureForwarding(ctx: NetCtx, families: ReadonlySet<4 | 6>): Promise<void> {
  for (const family of families) {
    const key = family === 4 ? 'net/ipv4/ip_forward' : 'net/ipv6/conf/all/forwarding';
    if ((await ctx.host.net.sysctl('host', key)) !== '0') continue;
    if (ctx.ve.paths.prefix !== '') {
      if (!warned.has(ctx.host)) ctx.log.warn(`${key.replace(/\//g, '.')} is 0: the VE reaches the host but no other VE; vzkit under a VZKIT_ROOT leaves host-wide settings alone`);
      warned.add(ctx.host);
      continue;
    }
    await net(ctx, `turn on ${key}`, () => ctx.host.net.setSysctl('host', key, '1'));
    ctx.log.info(`vzkit turned on IPv${family} forwarding on the host (${key.replace(/\//g, '.')}=1) so that VEs are routed`);
  }
}

/**
 * Refuses, before anything is made, an address that is taken: routed by the host to
 * another VE's venet (the kernel's routing table is the one truth about running VEs,
 * whichever vzkit root or process started them), routed anywhere else, or one of the
 * host's own (routing it away would cut the host off). Returns the routes already ours.
 * One route lookup per address, however many VEs run: a start must not slow down as
 * the host fills.
 */
async function checkFree(ctx: NetCtx, addrs: readonly VeAddress[]): Promise<Set<string>> {
  const host = venetHostName(ctx.ve.ctid);
  const ours = new Set<string>();
  for (const a of addrs) {
    const r = await ctx.host.net.routeMatch('host', a.ip);
    if (r?.local) throw netError('IP_INUSE', `${ctx.ve.label}: ${a.ip} is an address of the host (${r.dev ?? 'local'})`, { about: ctx.ve.label });
    if (!r || r.dst !== hostRouteOf(a)) continue;
    if (r.dev === host) {
      ours.add(r.dst);
      continue;
    }
    const other = /^venet(\d+)$/.exec(r.dev ?? '')?.[1];
    throw netError('IP_INUSE', other
      ? `${ctx.ve.label}: address ${a.ip} is in use by CT ${other}`
      : `${ctx.ve.label}: the host already routes ${a.ip} to ${r.dev ?? r.gateway ?? 'elsewhere'}`, { about: ctx.ve.label });
  }
  return ours;
}

/** Gives the VE `addrs`: on venet0 inside, a host route each, proxy neighbours on `lanDevs`. */
export async function addAddresses(ctx: NetCtx, pid: number, addrs: readonly VeAddress[], lanDevs: readonly string[]): Promise<void> {
  if (!addrs.length) return;
  const routed = await checkFree(ctx, addrs);
  await ensureVenet(ctx, pid);
  const host = venetHostName(ctx.ve.ctid);
  const ve: NetnsRef = { pid };
  if (addrs.some((a) => a.family === 6)) await enableIpv6(ctx, host);
  for (const family of new Set(addrs.map((a) => a.family))) {
    await net(ctx, `set the IPv${family} default route`, () => ctx.host.net.addRoute(ve, { family, dst: 'default', dev: VENET }, { replace: true }));
  }
  const inside = new Set((await ctx.host.net.addresses(ve, VENET)).map((x) => x.cidr));
  for (const a of addrs) {
    if (!inside.has(cidrOf(a))) await net(ctx, `add ${a.ip} on ${VENET}`, () => ctx.host.net.addAddress(ve, VENET, cidrOf(a)));
    const route = { family: a.family, dst: hostRouteOf(a), dev: host };
    if (!routed.has(route.dst)) await net(ctx, `route ${a.ip} to ${host}`, () => ctx.host.net.addRoute('host', route));
    for (const dev of lanDevs) {
      await record(ctx, (s) => ({ ...s, proxies: [...s.proxies.filter((p) => p.ip !== a.ip || p.dev !== dev), { ip: a.ip, dev }] }));
      if (a.family === 6) await net(ctx, `turn on proxy_ndp of ${dev}`, () => ctx.host.net.setSysctl('host', `net/ipv6/conf/${dev}/proxy_ndp`, '1'));
      await net(ctx, `answer for ${a.ip} on ${dev}`, () => ctx.host.net.addProxyNeighbour('host', a.ip, dev));
    }
  }
}

/** Takes `addrs` away: at once, inside and on the host. */
export async function removeAddresses(ctx: NetCtx, pid: number, addrs: readonly VeAddress[]): Promise<void> {
  const host = venetHostName(ctx.ve.ctid);
  for (const a of addrs) {
    await ctx.host.net.deleteAddress({ pid }, VENET, cidrOf(a));
    await ctx.host.net.deleteRoute('host', { family: a.family, dst: hostRouteOf(a), dev: host });
    for (const p of current(ctx).proxies.filter((x) => x.ip === a.ip)) await ctx.host.net.deleteProxyNeighbour('host', p.ip, p.dev);
    await record(ctx, (s) => ({ ...s, proxies: s.proxies.filter((x) => x.ip !== a.ip) }));
  }
}

/** A veth interface: `ifname` in the VE (left down: the guest configures it), the host end up, in its bridge. */
export async function addNetif(ctx: NetCtx, pid: number, n: NetIf): Promise<void> {
  const r = resolveNetif(ctx.ve.ctid, n);
  if (r.bridge !== undefined && (await ctx.host.net.link('host', r.bridge))?.kind !== 'bridge') {
    throw netError('VETH_ERROR', `${ctx.ve.label}: bridge ${r.bridge} for ${r.ifname} does not exist on the host`, { about: ctx.ve.label });
  }
  if (await ctx.host.net.link('host', r.hostIfname)) throw netError('VETH_ERROR', `${ctx.ve.label}: host device ${r.hostIfname} for ${r.ifname} already exists`, { about: ctx.ve.label });
  await record(ctx, (s) => ({ ...s, devs: [...new Set([...s.devs, r.hostIfname])] }));
  await net(ctx, `create ${r.hostIfname}/${r.ifname}`, () => ctx.host.net.addVeth('host', { name: r.hostIfname, peer: r.ifname, peerNs: { pid }, mac: r.hostMac, peerMac: r.mac }), 'VETH_ERROR');
  if (r.bridge !== undefined) await net(ctx, `add ${r.hostIfname} to ${r.bridge}`, () => ctx.host.net.setLink('host', r.hostIfname, { master: r.bridge! }), 'VETH_ERROR');
  await net(ctx, `bring up ${r.hostIfname}`, () => ctx.host.net.setLink('host', r.hostIfname, { up: true }), 'VETH_ERROR');
}

export async function removeNetif(ctx: NetCtx, n: NetIf): Promise<void> {
  const r = resolveNetif(ctx.ve.ctid, n);
  await ctx.host.net.deleteLink('host', r.hostIfname);
  await record(ctx, (s) => ({ ...s, devs: s.devs.filter((d) => d !== r.hostIfname) }));
}

/** Removes whatever the state records; idempotent (the VE's death already took its pairs). */
export async function unwire(ctx: NetCtx): Promise<void> {
  const s = ctx.state.get();
  if (!s) return;
  for (const p of s.proxies) await ctx.host.net.deleteProxyNeighbour('host', p.ip, p.dev);
  for (const d of s.devs) await ctx.host.net.deleteLink('host', d);
  await ctx.state.clear();
}
