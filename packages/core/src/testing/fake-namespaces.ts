/**
 * The fake kernel's namespaces. Each holds the state the real one isolates: hostname in
 * uts, SysV objects and IPC sysctls in ipc, pid numbering in pid, net sysctls and links
 * in net, id maps in user. The mount namespace (a mount table) is in fake-mount-table.ts.
 */
import type { IdMapping, Namespace } from '../plan.js';

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

const NET_SYSCTLS: Array<[string, string]> = [
  ['net/ipv4/ip_forward', '0'],
  ['net/ipv4/ip_local_port_range', '32768\t60999'],
  ['net/ipv4/ping_group_range', '1\t0'],
  ['net/ipv4/conf/all/forwarding', '0'],
  ['net/ipv4/conf/all/rp_filter', '0'],
  ['net/ipv4/conf/default/forwarding', '0'],
  ['net/ipv4/conf/lo/forwarding', '0'],
  ['net/ipv6/conf/all/forwarding', '0'],
  ['net/ipv6/conf/all/disable_ipv6', '0'],
  ['net/ipv6/conf/default/forwarding', '0'],
  ['net/core/somaxconn', '4096'],
];

export class NetNs extends NsBase {
  readonly sysctls = new Map(NET_SYSCTLS);
  /** Interface names; a new namespace has only loopback. */
  readonly links = ['lo'];
  constructor(inum: number) {
    super('net', inum);
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
