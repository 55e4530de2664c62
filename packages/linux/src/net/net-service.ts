/**
 * The Host's {@link NetService} on Linux: rtnetlink through {@link Rtnl}, in the caller's
 * network namespace or, for `{ pid }`, in that process's (a socket opened there keeps
 * acting there). Net sysctls are read and written by a thread that has entered the
 * namespace, because /proc/sys/net shows the namespace of whoever opens it.
 * @module
 */
import { execFile } from 'node:child_process';
import { closeSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { vzError, type LinkStats, type NetAddress, type NetLink, type NetnsRef, type NetRoute, type NetService, type RouteMatch, type VethSpec } from '@vzkit/core';
import { nodeFsError } from '../errno.js';
import { inNetns } from './netlink-socket.js';
import { IFF, RT_SCOPE, Rtnl, type Link, type Route } from './rtnl.js';
import { RTN } from './netlink-codec.js';

const netnsPath = (pid: number) => `/proc/${pid}/ns/net`;

function sysctlPath(key: string): string {
  // Slash form only: a device name may hold dots (`veth101.0`).
  const rel = key.replace(/^\/?(proc\/sys\/)?/, '');
  if (!/^net\/[A-Za-z0-9_.\-/]+$/.test(rel) || rel.includes('..')) throw new Error(`not a net sysctl: ${key}`);
  return `/proc/sys/${rel}`;
}

const SCOPES: Record<NonNullable<NetRoute['scope']>, number> = { link: RT_SCOPE.LINK, universe: RT_SCOPE.UNIVERSE, host: RT_SCOPE.HOST };

/** Sockets kept for VE namespaces: a start or a `set` makes a dozen calls in one. */
const KEPT_VE_SOCKETS = 8;

export class LinuxNetService implements NetService {
  #host: Rtnl | undefined;
  readonly #ves = new Map<number, { ino: number; rtnl: Rtnl }>();

  /**
   * Runs fn with a client in ns. Sockets are kept; a VE's is checked against the
   * namespace's inode first, so a reused pid never gets another VE's old socket.
   */
  #with<T>(ns: NetnsRef, fn: (r: Rtnl) => T): T {
    if (ns === 'host') return fn((this.#host ??= Rtnl.open()));
    const path = netnsPath(ns.pid);
    let ino: number;
    try {
      ino = statSync(path).ino;
    } catch (e) {
      throw nodeFsError(e, `find the network namespace of process ${ns.pid}`, path);
    }
    let kept = this.#ves.get(ns.pid);
    if (kept && kept.ino !== ino) {
      kept.rtnl.close();
      this.#ves.delete(ns.pid);
      kept = undefined;
    }
    if (!kept) {
      kept = { ino, rtnl: Rtnl.open({ netnsPath: path }) };
      this.#ves.set(ns.pid, kept);
      for (const [pid, old] of this.#ves) {
        if (this.#ves.size <= KEPT_VE_SOCKETS) break;
        old.rtnl.close();
        this.#ves.delete(pid);
      }
    }
    return fn(kept.rtnl);
  }

  #inNs<T>(ns: NetnsRef, fn: () => T): T {
    return ns === 'host' ? fn() : inNetns({ path: netnsPath(ns.pid) }, fn);
  }

  /** Closes the kept sockets (an embedder that is done with the host). */
  close(): void {
    this.#host?.close();
    this.#host = undefined;
    for (const kept of this.#ves.values()) kept.rtnl.close();
    this.#ves.clear();
  }

  async links(ns: NetnsRef): Promise<NetLink[]> {
    return this.#with(ns, (r) => {
      const all = r.linkList();
      const names = new Map(all.map((l) => [l.index, l.name]));
      return all.map((l) => toNetLink(l, names));
    });
  }

  async linkStats(ns: NetnsRef): Promise<Map<string, LinkStats>> {
    return this.#with(ns, (r) => {
      const counters = r.linkStats();
      // Names by index, kept per socket (so per namespace): asked again only when a link is new to us.
      let names = this.#names.get(r);
      if (!names || [...counters.keys()].some((i) => !names!.has(i))) this.#names.set(r, (names = r.linkNames()));
      const out = new Map<string, LinkStats>();
      for (const [index, c] of counters) {
        const name = names.get(index);
        if (name !== undefined) out.set(name, c);
      }
      return out;
    });
  }

  readonly #names = new WeakMap<Rtnl, Map<number, string>>();

  async link(ns: NetnsRef, name: string): Promise<NetLink | undefined> {
    return this.#with(ns, (r) => {
      const l = r.linkByName(name);
      if (!l) return undefined;
      const master = l.master !== undefined ? r.linkByIndex(l.master) : undefined;
      return toNetLink(l, new Map(master ? [[master.index, master.name]] : []));
    });
  }

  async routeMatch(ns: NetnsRef, ip: string): Promise<RouteMatch | undefined> {
    return this.#with(ns, (r) => {
      const rt = r.routeMatch(ip);
      // One route: its device's name by index, not from a listing of every link.
      return rt ? { ...toNetRoute(rt, (i) => r.linkByIndex(i)?.name), local: rt.type === RTN.LOCAL } : undefined;
    });
  }

  async addVeth(ns: NetnsRef, spec: VethSpec): Promise<void> {
    const same = spec.peerNs === ns || (typeof ns === 'object' && typeof spec.peerNs === 'object' && ns.pid === spec.peerNs.pid);
    this.#with(ns, (r) => {
      const opts = { ...(spec.mac ? { mac: spec.mac } : {}), ...(spec.peerMac ? { peerMac: spec.peerMac } : {}), ...(spec.mtu ? { mtu: spec.mtu } : {}) };
      if (same) return r.createVethPair(spec.name, spec.peer, opts);
      // The peer is born in its namespace: nothing of it ever shows in this one.
      // (This thread is back in the caller's namespace here, whichever the socket's.)
      const path = spec.peerNs === 'host' ? '/proc/thread-self/ns/net' : netnsPath(spec.peerNs.pid);
      let fd: number;
      try {
        fd = openSync(path, 'r');
      } catch (e) {
        throw nodeFsError(e, `open the network namespace for ${spec.peer}`, path);
      }
      try {
        r.createVethPair(spec.name, spec.peer, { ...opts, peerNetnsFd: fd });
      } finally {
        closeSync(fd);
      }
    });
  }

  async setLink(ns: NetnsRef, dev: string, opts: { up?: boolean; noarp?: boolean; mac?: string; mtu?: number; master?: string | null }): Promise<void> {
    this.#with(ns, (r) => {
      if (opts.mac !== undefined) r.linkSetMac(dev, opts.mac);
      if (opts.mtu !== undefined) r.linkSetMtu(dev, opts.mtu);
      if (opts.noarp !== undefined) r.linkSetNoarp(dev, opts.noarp);
      if (opts.master !== undefined) r.linkSetMaster(dev, opts.master);
      if (opts.up === true) r.linkSetUp(dev);
      if (opts.up === false) r.linkSetDown(dev);
    });
  }

  async deleteLink(ns: NetnsRef, dev: string): Promise<boolean> {
    return this.#with(ns, (r) => r.linkDelete(dev, { ifMissing: true }));
  }

  async addresses(ns: NetnsRef, dev?: string): Promise<NetAddress[]> {
    return this.#with(ns, (r) => {
      const names = new Map(r.linkList().map((l) => [l.index, l.name]));
      if (dev !== undefined && ![...names.values()].includes(dev)) return [];
      return r.addrList(dev)
        .map((a) => ({ dev: names.get(a.index) ?? String(a.index), family: a.family, cidr: a.cidr }));
    });
  }

  async addAddress(ns: NetnsRef, dev: string, cidr: string): Promise<void> {
    this.#with(ns, (r) => r.addrAdd(dev, cidr, { nodad: true }));
  }

  async deleteAddress(ns: NetnsRef, dev: string, cidr: string): Promise<boolean> {
    return this.#with(ns, (r) => (r.linkByName(dev) ? r.addrDel(dev, cidr, { ifMissing: true }) : false));
  }

  async routes(ns: NetnsRef, family?: 4 | 6): Promise<NetRoute[]> {
    return this.#with(ns, (r) => {
      const names = new Map(r.linkList().map((l) => [l.index, l.name]));
      return r.routeList(family ? { family } : {}).map((rt) => toNetRoute(rt, (i) => names.get(i)));
    });
  }

  async addRoute(ns: NetnsRef, route: NetRoute, opts: { replace?: boolean } = {}): Promise<void> {
    this.#with(ns, (r) => r.routeAdd(routeSpec(route), opts));
  }

  async deleteRoute(ns: NetnsRef, route: NetRoute): Promise<boolean> {
    return this.#with(ns, (r) => {
      if (route.dev !== undefined && !r.linkByName(route.dev)) return false;
      return r.routeDel({ ...routeSpec(route), scope: RT_SCOPE.NOWHERE }, { ifMissing: true });
    });
  }

  async proxyNeighbours(ns: NetnsRef): Promise<Array<{ ip: string; dev: string }>> {
    return this.#with(ns, (r) => {
      const names = new Map(r.linkList().map((l) => [l.index, l.name]));
      return r.neighProxyList().filter((n) => n.proxy).map((n) => ({ ip: n.dst, dev: names.get(n.index) ?? String(n.index) }));
    });
  }

  async addProxyNeighbour(ns: NetnsRef, ip: string, dev: string): Promise<void> {
    this.#with(ns, (r) => r.neighProxyAdd(ip, dev, { replace: true }));
  }

  async deleteProxyNeighbour(ns: NetnsRef, ip: string, dev: string): Promise<boolean> {
    return this.#with(ns, (r) => (r.linkByName(dev) ? r.neighProxyDel(ip, dev, { ifMissing: true }) : false));
  }

  /**
   * One nftables table per prefix (`inet vzkit_venet`) with nft's reverse-path rule,
   * `fib saddr . iif oif missing drop`, hooked before routing. Declaring, deleting and
   * making the table again in one `nft -f` transaction makes it idempotent. nft is
   * spawned once per call: speaking nf_tables netlink directly is not worth it for one
   * rule a host keeps for good.
   */
  async checkSources(ns: NetnsRef, devPrefix: string): Promise<void> {
    if (!/^[A-Za-z0-9_.-]+$/.test(devPrefix)) throw vzError('BAD_VALUE', `bad device prefix ${JSON.stringify(devPrefix)}`);
    const table = `vzkit_${devPrefix.replace(/[^A-Za-z0-9_]/g, '_')}`;
    const script = [
      `table inet ${table}`,
      `delete table inet ${table}`,
      `table inet ${table} {`,
      '  chain rpf {',
      '    type filter hook prerouting priority raw; policy accept;',
      `    iifname "${devPrefix}*" fib saddr . iif oif missing drop`,
      '  }',
      '}',
      '',
    ].join('\n');
    const argv = ns === 'host' ? ['nft', '-f', '-'] : ['nsenter', `--net=${netnsPath(ns.pid)}`, '--', 'nft', '-f', '-'];
    await new Promise<void>((resolve, reject) => {
      const child = execFile(argv[0]!, argv.slice(1), { timeout: 10_000 }, (err, _out, stderr) => {
        if (!err) return resolve();
        const missing = (err as NodeJS.ErrnoException).code === 'ENOENT' || /nft: (command )?not found|No such file/.test(stderr);
        reject(missing
          ? vzError('UNSUPPORTED', `checking packet sources on ${devPrefix}* needs nft (Debian package nftables)`)
          : vzError('SYSTEM', `nft could not add the source check for ${devPrefix}*: ${stderr.trim().split('\n')[0] || err.message}`));
      });
      child.stdin?.end(script);
    });
  }

  async sysctl(ns: NetnsRef, key: string): Promise<string | undefined> {
    const path = sysctlPath(key);
    return this.#inNs(ns, () => {
      try {
        return readFileSync(path, 'utf8').trim();
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw nodeFsError(e, 'read sysctl', path);
      }
    });
  }

  async setSysctl(ns: NetnsRef, key: string, value: string): Promise<void> {
    const path = sysctlPath(key);
    this.#inNs(ns, () => {
      try {
        writeFileSync(path, value);
      } catch (e) {
        throw nodeFsError(e, `set sysctl to ${value}`, path);
      }
    });
  }
}

function toNetLink(l: Link, names: Map<number, string>): NetLink {
  const out: NetLink = { name: l.name, index: l.index, up: l.up, noarp: (l.flags & IFF.NOARP) !== 0, loopback: (l.flags & IFF.LOOPBACK) !== 0 };
  if (l.mac) out.mac = l.mac;
  if (l.mtu !== undefined) out.mtu = l.mtu;
  if (l.kind) out.kind = l.kind;
  if (l.master !== undefined) {
    const m = names.get(l.master);
    if (m) out.master = m;
  }
  return out;
}

/** A kernel route as NetService says it: device by name (`nameOf` an ifindex), scope by word. */
function toNetRoute(rt: Route, nameOf: (index: number) => string | undefined): NetRoute {
  const out: NetRoute = { family: rt.family, dst: rt.dst };
  if (rt.dev !== undefined) out.dev = nameOf(rt.dev) ?? String(rt.dev);
  if (rt.gateway) out.gateway = rt.gateway;
  out.scope = rt.scope === RT_SCOPE.LINK ? 'link' : rt.scope === RT_SCOPE.HOST ? 'host' : 'universe';
  return out;
}

function routeSpec(route: NetRoute) {
  return {
    dst: route.dst, family: route.family,
    ...(route.dev !== undefined ? { dev: route.dev } : {}),
    ...(route.gateway ? { gateway: route.gateway } : {}),
    ...(route.scope ? { scope: SCOPES[route.scope] } : {}),
  };
}
