/**
 * The fake kernel's namespaces. Each holds the state the real one isolates: hostname in
 * uts, SysV objects and IPC sysctls in ipc, pid numbering in pid, devices, addresses,
 * routes, proxy neighbours and net sysctls in net, id maps in user. The mount namespace
 * (a mount table) is in fake-mount-table.ts.
 */
import type { IdMapping, LinkStats, Namespace, NetAddress, NetLink, NetRoute } from '@vzkit/core';
import { fault } from './fake-errors.js';

export class NsBase {
  constructor(readonly type: Namespace, readonly inum: number) {}

  /** `uts:[4026532001]`, as readlink of /proc/PID/ns/uts says. */
  get id(): string {
    return `${this.type}:[${this.inum}]`;
  }
}

export class UtsNs extends NsBase {
  constructor(inum: number, public hostname: string, public domainname = '(none)') {
    super('uts', inum);
  }
}

/** A System V IPC object; tests add them to a namespace to see what ipc isolation hides. */
export interface SysvObject {
  kind: 'shm' | 'msg' | 'sem';
  key: number;
  id: number;
  /** Bytes of a segment, messages in a queue, semaphores in a set. */
  size: number;
}

const IPC_SYSCTLS: Array<[string, string]> = [
  ['kernel/shmmax', '18446744073692774399'],
  ['kernel/shmall', '18446744073692774399'],
  ['kernel/shmmni', '4096'],
  ['kernel/shm_rmid_forced', '0'],
  ['kernel/msgmax', '8192'],
  ['kernel/msgmnb', '16384'],
  ['kernel/msgmni', '32000'],
  ['kernel/sem', '32000\t1024000000\t500\t32000'],
  ['fs/mqueue/msg_max', '10'],
  ['fs/mqueue/msgsize_max', '8192'],
  ['fs/mqueue/queues_max', '256'],
];

export class IpcNs extends NsBase {
  readonly objects: SysvObject[] = [];
  readonly sysctls = new Map(IPC_SYSCTLS);
  private nextId = 0;
  constructor(inum: number) {
    super('ipc', inum);
  }

  add(obj: Omit<SysvObject, 'id'>): SysvObject {
    const o = { ...obj, id: this.nextId++ };
    this.objects.push(o);
    return o;
  }
}

/** Per-device conf keys the kernel creates with each link, under `net/ipv4/conf/<dev>/` and `net/ipv6/conf/<dev>/`. */
const DEV_CONF: Record<4 | 6, Array<[string, string]>> = {
  4: [['forwarding', '0'], ['rp_filter', '0'], ['proxy_arp', '0'], ['arp_ignore', '0']],
  6: [['forwarding', '0'], ['proxy_ndp', '0'], ['disable_ipv6', '0'], ['accept_ra', '1']],
};

const devConf = (dev: string): Array<[string, string]> =>
  ([4, 6] as const).flatMap((f) => DEV_CONF[f].map(([k, v]): [string, string] => [`net/ipv${f}/conf/${dev}/${k}`, v]));

const NET_SYSCTLS: Array<[string, string]> = [
  ['net/ipv4/ip_forward', '0'],
  ['net/ipv4/ip_local_port_range', '32768\t60999'],
  ['net/ipv4/ping_group_range', '1\t0'],
  ...devConf('all'),
  ...devConf('default'),
  ['net/core/somaxconn', '4096'],
];

/** IFNAMSIZ: 16 bytes with the terminating NUL. */
const IFNAMSIZ = 16;

/** One network device of a namespace; a veth end knows its peer (in the peer's namespace). */
export class FakeLink {
  up = false;
  noarp = false;
  master: string | undefined;
  peer: FakeLink | undefined;
  /** Traffic counters (IFLA_STATS64), moved by FakeNet.transmit. */
  readonly counters: LinkStats = { rxBytes: 0, txBytes: 0, rxPackets: 0, txPackets: 0, rxDropped: 0, txDropped: 0, rxErrors: 0, txErrors: 0 };

  constructor(
    readonly ns: NetNs,
    readonly name: string,
    readonly index: number,
    public mac: string,
    public mtu: number,
    /** `veth`, `bridge`; undefined for lo and physical devices. */
    readonly kind: string | undefined,
    readonly loopback: boolean,
  ) {}

  view(): NetLink {
    return {
      name: this.name, index: this.index, up: this.up, noarp: this.noarp, loopback: this.loopback, mac: this.mac, mtu: this.mtu,
      ...(this.kind ? { kind: this.kind } : {}),
      ...(this.master ? { master: this.master } : {}),
    };
  }
}

/**
 * A network namespace: devices, addresses, the main routing table, proxy ARP/NDP entries
 * and net sysctls. The invariants the kernel keeps live here (a device takes its
 * addresses, routes, neighbours and conf sysctls along; a veth end takes its peer);
 * argument checks and error wording are FakeNet's.
 */
export class NetNs extends NsBase {
  readonly sysctls = new Map(NET_SYSCTLS);
  /** Devices by name; a new namespace has only loopback, down. */
  readonly links = new Map<string, FakeLink>();
  /** In the order added; cidrs normalized. */
  addresses: NetAddress[] = [];
  /** The main table; every route has its scope. */
  routes: NetRoute[] = [];
  proxies: Array<{ ip: string; dev: string }> = [];
  /** Device name prefixes whose packets have their sources checked (NetService.checkSources). */
  readonly checkedSources = new Set<string>();
  private nextIndex = 1;

  /** `loUp`: the initial namespace, whose loopback the host's boot brought up. */
  constructor(inum: number, opts: { loUp?: boolean } = {}) {
    super('net', inum);
    const lo = this.addLink('lo', { mac: '00:00:00:00:00:00', mtu: 65536, loopback: true });
    if (opts.loUp) this.setUp(lo, true);
  }

  /**
   * Registers a device with its conf sysctls (copied from `conf/default`, as the kernel
   * does). EINVAL for a name dev_valid_name refuses, EEXIST for a taken one.
   */
  addLink(name: string, opts: { mac: string; mtu: number; kind?: string; loopback?: boolean }): FakeLink {
    const bytes = new TextEncoder().encode(name).length;
    if (bytes === 0 || bytes >= IFNAMSIZ || name === '.' || name === '..' || /[/:\s]/.test(name)) throw fault('EINVAL', name);
    if (this.links.has(name)) throw fault('EEXIST', name);
    const link = new FakeLink(this, name, this.nextIndex++, opts.mac, opts.mtu, opts.kind, opts.loopback ?? false);
    this.links.set(name, link);
    for (const [key, value] of devConf(name)) this.sysctls.set(key, this.sysctls.get(key.replace(`/conf/${name}/`, '/conf/default/')) ?? value);
    return link;
  }

  /**
   * IFF_UP on or off. Down flushes the device's IPv4 routes (fib_disable_ip); loopback
   * coming up gets 127.0.0.1/8 and ::1/128 from the kernel itself.
   */
  setUp(link: FakeLink, up: boolean): void {
    link.up = up;
    if (!up) this.routes = this.routes.filter((r) => !(r.family === 4 && r.dev === link.name));
    else if (link.loopback) {
      for (const [family, cidr] of [[4, '127.0.0.1/8'], [6, '::1/128']] as const) {
        if (!this.addresses.some((a) => a.dev === link.name && a.cidr === cidr)) this.addresses.push({ dev: link.name, family, cidr });
      }
    }
  }

  /** Unregisters a device with everything on it; a veth takes its peer along, a bridge releases its ports. */
  removeLink(link: FakeLink): void {
    if (this.links.get(link.name) !== link) return;
    this.links.delete(link.name);
    const dev = link.name;
    this.addresses = this.addresses.filter((a) => a.dev !== dev);
    this.routes = this.routes.filter((r) => r.dev !== dev);
    this.proxies = this.proxies.filter((p) => p.dev !== dev);
    for (const other of this.links.values()) if (other.master === dev) other.master = undefined;
    for (const [key] of devConf(dev)) this.sysctls.delete(key);
    const peer = link.peer;
    link.peer = undefined;
    if (peer) {
      peer.peer = undefined;
      peer.ns.removeLink(peer);
    }
  }

  /** The namespace's last process is gone: its devices go, veth peers elsewhere with them. */
  destroy(): void {
    for (const link of [...this.links.values()]) this.removeLink(link);
  }

  /**
   * Writes a net sysctl. ip_forward and conf/all/forwarding are one knob, and switching
   * forwarding for `all` switches it for `default` and every device (inet_forward_change,
   * addrconf_forward_change).
   */
  writeSysctl(key: string, value: string): void {
    const v4 = key === 'net/ipv4/ip_forward' || key === 'net/ipv4/conf/all/forwarding';
    if (!v4 && key !== 'net/ipv6/conf/all/forwarding') {
      this.sysctls.set(key, value);
      return;
    }
    const conf = v4 ? 'net/ipv4/conf' : 'net/ipv6/conf';
    if (v4) this.sysctls.set('net/ipv4/ip_forward', value);
    for (const dev of ['all', 'default', ...this.links.keys()]) this.sysctls.set(`${conf}/${dev}/forwarding`, value);
  }
}

/** Pid numbering: a process has a number in its own pid namespace and in every ancestor. */
export class PidNs extends NsBase {
  readonly level: number;
  private nextNr = 1;
  /** host pid → number in this namespace, for the live members. */
  readonly nrs = new Map<number, number>();
  /** Host pid of the namespace's init (number 1), once it exists. */
  init: number | undefined;

  constructor(inum: number, readonly parent: PidNs | undefined) {
    super('pid', inum);
    this.level = parent ? parent.level + 1 : 0;
  }

  allocate(hostPid: number, nr?: number): number {
    const n = nr ?? this.nextNr++;
    if (n === 1 && this.level > 0) this.init = hostPid;
    this.nrs.set(hostPid, n);
    return n;
  }

  /** This namespace or one nested in it. */
  contains(ns: PidNs): boolean {
    for (let p: PidNs | undefined = ns; p; p = p.parent) if (p === this) return true;
    return false;
  }
}

export class UserNs extends NsBase {
  uidMap: IdMapping[] | undefined;
  gidMap: IdMapping[] | undefined;
  constructor(inum: number) {
    super('user', inum);
  }
}

/** Which namespace owns a /proc/sys key (`kernel/hostname` → uts); others are host-wide. */
export function sysctlOwner(key: string): 'uts' | 'ipc' | 'net' | 'global' {
  if (key === 'kernel/hostname' || key === 'kernel/domainname') return 'uts';
  if (/^kernel\/(shm|msg|sem)/.test(key) || key.startsWith('fs/mqueue/')) return 'ipc';
  if (key.startsWith('net/')) return 'net';
  return 'global';
}

/** Host-wide /proc/sys defaults of the fake kernel. */
export function globalSysctls(kernelRelease: string): Map<string, string> {
  return new Map([
    ['kernel/pid_max', '4194304'],
    ['kernel/threads-max', '63422'],
    ['kernel/ostype', 'Linux'],
    ['kernel/osrelease', kernelRelease],
    ['kernel/panic', '0'],
    ['kernel/printk', '4\t4\t1\t7'],
    ['vm/overcommit_memory', '0'],
    ['vm/swappiness', '60'],
    ['fs/file-max', '9223372036854775807'],
    ['fs/nr_open', '1048576'],
  ]);
}

/** `net.ipv4.ip_forward` or `net/ipv4/ip_forward` → `net/ipv4/ip_forward`. */
export function sysctlKey(name: string): string {
  return name.includes('/') ? name.replace(/^\/?(proc\/sys\/)?/, '') : name.replace(/\./g, '/');
}
