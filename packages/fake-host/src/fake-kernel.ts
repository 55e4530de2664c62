/**
 * The shared state of the fake kernel: counters (devices, mount ids, namespace inodes,
 * clock), the host's filesystems, namespaces and mount table, the process table and the
 * cgroup tree. Host services (fs, mounts, cgroups, processes, launcher, net) are views
 * of it.
 */
import { performance } from 'node:perf_hooks';
import { NsBase, IpcNs, NetNs, PidNs, UserNs, UtsNs, globalSysctls } from './fake-namespaces.js';
import { Faults } from './fake-errors.js';
import { FakeDisks } from './fake-disks.js';
import { FakeCgroups } from './fake-cgroups.js';
import { Mount, MountNs } from './fake-mount-table.js';
import { FakeNet } from './fake-net.js';
import { FakeProcesses } from './fake-processes.js';
import { ProcSuperblock } from './fake-procfs.js';
import { Inode, newFilesystem, type Superblock, type Vnode } from './fake-vnode.js';
import type { FakeProcess, NsSet } from './fake-process.js';

/** How the fake host looks; every field has a default. */
export interface FakeHostOptions {
  /** cgroup layout; v1 (per-controller hierarchies) by default, like this project's machines. */
  cgroupVersion?: 1 | 2;
  /** The caller's own cgroup, what `@self` resolves to. Default `/user.slice/fake-session`. */
  selfCgroup?: string;
  /** Controllers the cgroup manager offers. */
  controllers?: string[];
  /** v1 only: whether memsw files exist (swap accounting); default true. */
  swapAccounting?: boolean;
  cpus?: number;
  memTotal?: number;
  pageSize?: number;
  kernelRelease?: string;
  clockTicks?: number;
  hostname?: string;
  /** Pid of the calling process; default the real `process.pid` (locks record it). */
  selfPid?: number;
  /** The kernel's build options (`CONFIG_QFMT_V2: 'y'`); default: the kernel publishes none. */
  kernelConfig?: Record<string, string>;
  /** Whether idmapped mounts work (Linux 5.12+ on a filesystem that supports them); default true. */
  idmappedMounts?: boolean;
  /** /proc/sys/user/max_user_namespaces; 0 turns user namespaces off. Default 63,000. */
  maxUserNamespaces?: number;
  /**
   * Whether the I/O controller has a weight file (BFQ, or v2's io.cost); default false on
   * v1 (mq-deadline, as on this project's machines), true on v2.
   */
  ioWeight?: boolean;
  /** Landlock ABI version of the kernel (Linux 6.18: 7); 0 when it has no Landlock. Default 7. */
  landlockAbi?: number;
}

export type ResolvedOptions = Required<Omit<FakeHostOptions, 'kernelConfig'>> & Pick<FakeHostOptions, 'kernelConfig'>;

const HOST_DIRS = ['bin', 'dev', 'etc', 'home', 'proc', 'root', 'run', 'sbin', 'sys', 'tmp', 'usr', 'usr/bin', 'usr/sbin', 'usr/lib', 'var', 'var/lib', 'var/log', 'var/tmp'];
const DEVICES: Array<[string, 'char' | 'block', number, number]> = [
  ['null', 'char', 1, 3], ['zero', 'char', 1, 5], ['full', 'char', 1, 7], ['random', 'char', 1, 8], ['urandom', 'char', 1, 9],
  ['tty', 'char', 5, 0], ['console', 'char', 5, 1], ['ptmx', 'char', 5, 2], ['loop-control', 'char', 10, 237],
  ...Array.from({ length: 8 }, (_, i): [string, 'block', number, number] => [`loop${i}`, 'block', 7, i]),
  ['vda', 'block', 254, 0], ['vda1', 'block', 254, 1],
];

export class FakeKernel {
  readonly faults = new Faults();
  readonly opts: ResolvedOptions;
  readonly globalSysctls: Map<string, string>;
  readonly rootfs: Superblock;
  readonly devfs: Superblock;
  readonly sysfs: Superblock;
  readonly hostNs: NsSet;
  readonly processes: FakeProcesses;
  readonly cgroups: FakeCgroups;
  readonly net: FakeNet;
  readonly self: FakeProcess;
  /** Image filesystems and the loop devices that attach them. */
  readonly disks = new FakeDisks(this);
  private anon = 30;
  private mountIds = 20;
  private inums = 4026532000;
  private landlockDomains = 0;
  private readonly blockFs = new Map<Vnode, Superblock>();
  private readonly t0 = performance.now();
  private clockOffset = 0;

  constructor(options: FakeHostOptions = {}) {
    const version = options.cgroupVersion ?? 1;
    this.opts = {
      cgroupVersion: version,
      selfCgroup: options.selfCgroup ?? '/user.slice/fake-session',
      controllers: options.controllers ?? (version === 1
        ? ['blkio', 'cpu', 'cpuacct', 'cpuset', 'devices', 'freezer', 'memory', 'pids']
        : ['cpu', 'cpuset', 'io', 'memory', 'pids']),
      swapAccounting: options.swapAccounting ?? true,
      cpus: options.cpus ?? 2,
      memTotal: options.memTotal ?? 8 * 1024 ** 3,
      pageSize: options.pageSize ?? 4096,
      kernelRelease: options.kernelRelease ?? '6.18.0-fake',
      clockTicks: options.clockTicks ?? 100,
      hostname: options.hostname ?? 'fakehost',
      selfPid: options.selfPid ?? process.pid,
      idmappedMounts: options.idmappedMounts ?? true,
      maxUserNamespaces: options.maxUserNamespaces ?? 63000,
      ioWeight: options.ioWeight ?? version === 2,
      landlockAbi: options.landlockAbi ?? 7,
      ...(options.kernelConfig ? { kernelConfig: options.kernelConfig } : {}),
    };
    this.globalSysctls = globalSysctls(this.opts.kernelRelease);
    this.globalSysctls.set('user/max_user_namespaces', String(this.opts.maxUserNamespaces));
    this.rootfs = newFilesystem((254 << 8) | 1, 'ext4', '/dev/vda1');
    const root = this.rootfs.root as Inode;
    for (const d of HOST_DIRS) mkdirs(root, d.split('/'));
    const etc = root.children.get('etc')!;
    etc.create('hostname', { type: 'file', mode: 0o644, data: new TextEncoder().encode(`${this.opts.hostname}\n`) });
    this.devfs = newFilesystem(5, 'devtmpfs', 'udev', 'mode=755');
    const dev = this.devfs.root as Inode;
    for (const [name, type, major, minor] of DEVICES) dev.create(name, { type, mode: 0o666, rdev: [major, minor] });
    for (const d of ['pts', 'shm', 'mqueue']) dev.create(d, { type: 'dir', mode: 0o755 });
    this.sysfs = newFilesystem(this.anonDev(), 'sysfs', 'sysfs');
    const sys = this.sysfs.root as Inode;
    for (const d of ['class/net/lo', 'fs/cgroup', 'kernel', 'devices/system/cpu', 'module']) mkdirs(sys, d.split('/'));

    const rootMount = new Mount(this.nextMountId(), undefined, '/', this.rootfs.root, this.rootfs, new Set(), '/');
    const pid = new PidNs(4026531836, undefined);
    this.hostNs = {
      user: new UserNs(4026531837),
      mnt: new MountNs(4026531841, rootMount),
      uts: new UtsNs(4026531838, this.opts.hostname),
      ipc: new IpcNs(4026531839),
      pid,
      net: new NetNs(4026531840, { loUp: true }),
      cgroup: new NsBase('cgroup', 4026531835),
      time: new NsBase('time', 4026531834),
    };
    const proc = new ProcSuperblock(this.anonDev(), 'proc', pid, this);
    const hostMounts: Array<[string, Superblock, Mount['flags']]> = [
      ['/proc', proc, new Set(['nosuid', 'nodev', 'noexec'])],
      ['/sys', this.sysfs, new Set(['nosuid', 'nodev', 'noexec'])],
      ['/dev', this.devfs, new Set(['nosuid'])],
      ['/run', newFilesystem(this.anonDev(), 'tmpfs', 'tmpfs', 'size=1638400k,mode=755'), new Set(['nosuid', 'nodev'])],
    ];
    for (const [target, sb, flags] of hostMounts) {
      this.hostNs.mnt.mounts.push(new Mount(this.nextMountId(), rootMount, target, sb.root, sb, flags, '/'));
    }
    this.cgroups = new FakeCgroups(this);
    this.processes = new FakeProcesses(this);
    this.self = this.processes.boot();
    this.net = new FakeNet(this);
  }

  /** A new anonymous device number (0:N), as tmpfs, proc and overlay get. */
  anonDev(): number {
    return this.anon++;
  }

  nextMountId = (): number => this.mountIds++;

  nextInum(): number {
    return ++this.inums;
  }

  /** Seconds since the fake boot (starts at 1000 s and runs with real time). */
  uptime(): number {
    return 1000 + (performance.now() - this.t0) / 1000 + this.clockOffset;
  }

  /** Now, in clock ticks since boot (what /proc/PID/stat calls starttime). */
  ticks(): number {
    return Math.floor(this.uptime() * this.opts.clockTicks);
  }

  /** A new Landlock domain's number: every landlock_restrict_self makes one. */
  nextLandlockDomain(): number {
    return ++this.landlockDomains;
  }

  advanceTime(seconds: number): void {
    this.clockOffset += seconds;
  }

  /**
   * A block device of the fake /dev as the I/O controllers see it: the whole disk it
   * belongs to (`vda1` is a partition of `vda`), undefined when there is no such device.
   */
  disk(major: number, minor: number): { major: number; minor: number; name: string; partition: boolean } | undefined {
    const dev = DEVICES.find(([, type, ma, mi]) => type === 'block' && ma === major && mi === minor);
    if (!dev) return undefined;
    const whole = /^(vd[a-z]+|sd[a-z]+)\d+$/.exec(dev[0])?.[1];
    const disk = whole === undefined ? dev : DEVICES.find(([name]) => name === whole)!;
    return { major: disk[2], minor: disk[3], name: disk[0], partition: whole !== undefined };
  }

  /** The filesystem on a block device: the same files every time it is mounted. */
  blockDeviceFs(device: Vnode, fstype: string, source: string): Superblock {
    let sb = this.blockFs.get(device);
    if (!sb) {
      const [major, minor] = device.meta().rdev ?? [0, 0];
      sb = newFilesystem((major << 8) | minor, fstype, source);
      this.blockFs.set(device, sb);
    }
    return sb;
  }
}

function mkdirs(root: Inode, parts: string[]): void {
  let cur = root;
  for (const p of parts) {
    if (!cur.children.has(p)) cur.create(p, { type: 'dir', mode: p === 'tmp' ? 0o1777 : 0o755 });
    cur = cur.children.get(p)!;
  }
}
