/**
 * FakeHost: the Host interface over an in-memory model of the kernel's state — files
 * and mounts per mount namespace, a cgroup tree, processes with their namespaces,
 * network devices per network namespace — that fails where the kernel would. Plugin
 * tests run their hooks against it and assert the resulting state
 * (`fake.process(pid).hostname`, `fake.cgroups.read(group)`, `fake.fs.tree(dir)`,
 * `fake.net.links({ pid })`), never which calls were made.
 */
import type { Host, MountEntry, SystemInfo } from '@vzkit/core';
import { FakeCommands } from './fake-commands.js';
import type { Errno, FaultOptions, FaultTarget } from './fake-errors.js';
import { FakeFs } from './fake-fs.js';
import { FakeFuse } from './fake-fuse.js';
import { FakeGuestFs } from './fake-guest-fs.js';
import { FakeKernel, type FakeHostOptions } from './fake-kernel.js';
import { FakeLauncher } from './fake-launcher.js';
import { FakeMounts } from './fake-mounts.js';
import { sysctlKey } from './fake-namespaces.js';
import type { FakeCgroups } from './fake-cgroups.js';
import type { FakeNet } from './fake-net.js';
import type { FakeProcesses, FakeProcessInfo } from './fake-processes.js';
import type { ProcessUsage } from './fake-process.js';
import type { RunHandler } from './fake-run.js';
import { sysctlRead } from './fake-procfs.js';
import { usageOf, type FsCapacity } from './fake-vnode.js';

/** SystemInfo of the fake machine: 2 CPUs, 8 GiB, 4 KiB pages, 100 ticks/s unless configured. */
export class FakeSystem implements SystemInfo {
  constructor(private readonly k: FakeKernel) {}
  get pageSize() {
    return this.k.opts.pageSize;
  }
  get cpus() {
    return this.k.opts.cpus;
  }
  get kernelRelease() {
    return this.k.opts.kernelRelease;
  }
  get memTotal() {
    return this.k.opts.memTotal;
  }
  get clockTicks() {
    return this.k.opts.clockTicks;
  }
  async uptime(): Promise<number> {
    return this.k.uptime();
  }
  async kernelConfig(): Promise<ReadonlyMap<string, string> | undefined> {
    const c = this.k.opts.kernelConfig;
    return c ? new Map(Object.entries(c)) : undefined;
  }
  async landlockAbi(): Promise<number> {
    return this.k.opts.landlockAbi;
  }
}

export class FakeHost implements Host {
  /** Files as the calling process sees them (the host's mount namespace). */
  readonly fs: FakeFs;
  /** Files inside VE trees, resolved beneath the VE root as LinuxHost's openat2 does. */
  readonly guestFs: FakeGuestFs;
  /** Mounts of the host's mount namespace. */
  readonly mounts: FakeMounts;
  readonly cgroups: FakeCgroups;
  readonly processes: FakeProcesses;
  readonly launcher: FakeLauncher;
  /** Devices, addresses, routes, proxy neighbours and net sysctls per network namespace. */
  readonly net: FakeNet;
  readonly system: FakeSystem;
  /** FUSE filesystems the calling process serves (see {@link fuseOf} for a daemon's). */
  readonly fuse: FakeFuse;
  /** What `launcher.exec` can run; register more commands here. */
  readonly commands = new FakeCommands();
  private readonly kernel: FakeKernel;

  constructor(opts: FakeHostOptions = {}) {
    this.kernel = new FakeKernel(opts);
    this.fs = new FakeFs(this.kernel, this.kernel.self.pid);
    this.guestFs = new FakeGuestFs(this.kernel, this.kernel.self.pid);
    this.mounts = new FakeMounts(this.kernel);
    this.cgroups = this.kernel.cgroups;
    this.processes = this.kernel.processes;
    this.launcher = new FakeLauncher(this.kernel, this.commands);
    this.net = this.kernel.net;
    this.system = new FakeSystem(this.kernel);
    this.fuse = new FakeFuse(this.kernel, this.kernel.self.pid);
  }

  /** Pid of the calling process (vzctl): the real `process.pid` unless configured. */
  get selfPid(): number {
    return this.kernel.self.pid;
  }

  /**
   * Makes the next matching call fail with `errno`, as the kernel would (mount → EBUSY,
   * cgroup.set → EINVAL, launch → ENOMEM, ...). `opts.path` restricts it to one path,
   * mount target or cgroup name; `opts.times` fails that many calls.
   */
  failNext(target: FaultTarget, errno: Errno = 'EIO', opts?: FaultOptions): this {
    this.kernel.faults.arm(target, errno, opts);
    return this;
  }

  /** Armed faults that no call has triggered yet. */
  pendingFaults(): Array<{ target: FaultTarget; errno: Errno; path?: string }> {
    return this.kernel.faults.pending();
  }

  /** A snapshot of a process for assertions; undefined for a pid never used. */
  process(pid: number): FakeProcessInfo | undefined {
    return this.processes.info(pid);
  }

  /**
   * Makes `processes.daemon` able to start `name` (a program without a handler is
   * ENOENT, as a missing binary): the handler plays what the daemon does at start,
   * e.g. mount a FUSE filesystem with `this.mounts` and fill it with `this.fs`.
   */
  onDaemon(name: string, handler: (pid: number, argv: string[]) => void): this {
    this.processes.daemonHandlers.set(name, handler);
    return this;
  }

  /**
   * Makes `processes.run` able to run the host program `name` (matched on the last part
   * of argv[0]; a program without a handler is ENOENT, as a missing binary). The handler
   * plays the program: it gets argv and the run's options with the pid and a `write` for
   * output as it comes, may change files with `this.fs`, and returns its status and
   * output (or just an exit code). `true`, `false` and `uname` are there already.
   */
  onRun(name: string, handler: RunHandler): this {
    this.processes.runner.handlers.set(name, handler);
    return this;
  }

  /** What host programs run with `terminal` (top, watch) printed on the caller's terminal. */
  get terminal(): string {
    return this.processes.runner.terminal;
  }

  /** Takes capabilities away from the calling process (vzctl), as a sandbox that runs it without them. */
  dropCallerCaps(...caps: number[]): void {
    for (const c of caps) this.kernel.processes.get(this.selfPid)?.caps.delete(c);
  }

  /** Sets a resource limit of the calling process (what vzctl inherited). */
  setCallerRlimit(resource: string, soft: number, hard: number): void {
    this.kernel.processes.get(this.selfPid)?.rlimits.set(resource, { soft, hard });
  }

  /** Sets what /proc/PID/status and /proc/PID/fd report for a live process. */
  setProcessUsage(pid: number, usage: Partial<ProcessUsage>): void {
    const p = this.kernel.processes.get(pid);
    if (!p) throw new Error(`setProcessUsage: no process ${pid}`);
    p.usage = { ...p.usage, ...usage };
  }

  /** The host's mount table (`root` is the path inside the mounted filesystem, mountinfo field 4). */
  hostMounts(): Array<MountEntry & { root: string }> {
    return this.kernel.hostNs.mnt.entries();
  }

  /** Files as process `pid` sees them: its mount namespace, root and /proc. */
  fsOf(pid: number): FakeFs {
    return new FakeFs(this.kernel, pid);
  }

  /**
   * FUSE served by process `pid` (a fake daemon started with `processes.daemon`): its
   * mounts answer until that process dies, then every read of them is ENOTCONN.
   */
  fuseOf(pid: number): FakeFuse {
    return new FakeFuse(this.kernel, pid);
  }

  /** A sysctl (`net.ipv4.ip_forward` or `net/ipv4/ip_forward`) as process `pid` sees it. */
  sysctl(pid: number, name: string): string | undefined {
    const p = this.kernel.processes.get(pid);
    return p && sysctlRead(this.kernel, p, sysctlKey(name));
  }

  /**
   * Gives the host a physical network device (`eth0`, the LAN a VE's addresses are
   * proxied on): up unless `up: false`, MTU 1500, a fixed MAC unless given. EEXIST for
   * a taken name.
   */
  addHostLink(name: string, opts: { up?: boolean; mac?: string; mtu?: number } = {}): this {
    this.net.addLink('host', name, { ...opts, up: opts.up ?? true });
    return this;
  }

  /**
   * Gives the host a bridge VE veths can be enslaved to (`ip link add NAME type bridge`),
   * up unless `up: false`.
   */
  addBridge(name: string, opts: { up?: boolean; mac?: string; mtu?: number } = {}): this {
    this.net.addLink('host', name, { ...opts, kind: 'bridge', up: opts.up ?? true });
    return this;
  }

  /**
   * Makes a new, empty filesystem of `fstype` in the image file at `path` (what a fake
   * mkfs does), `capacity` big: a `loop` mount of the file then shows it, statfs reports
   * that size and writes past it fail with ENOSPC.
   */
  formatImage(path: string, fstype: string, capacity: FsCapacity): this {
    const node = this.kernel.hostNs.mnt.walk(path, this.kernel.self).node;
    this.kernel.disks.format(node, path, fstype, capacity);
    return this;
  }

  /**
   * The filesystem in an image file (undefined when none was made): its type, its size
   * (a fake resize2fs changes `capacity`) and the loop device it is attached to.
   */
  imageOf(path: string): { fstype: string; capacity: FsCapacity; used: { blocks: number; files: number }; loop: string | undefined } | undefined {
    const node = this.kernel.hostNs.mnt.walk(path, this.kernel.self).node;
    const sb = this.kernel.disks.image(node);
    if (!sb?.capacity) return undefined;
    const loop = [...this.kernel.disks.loops.values()].find((l) => l.sb === sb);
    return { fstype: sb.fstype, capacity: sb.capacity, used: usageOf(sb), loop: loop?.device };
  }

  /** Attached loop devices: device, image file and the size the device offers. */
  loopDevices(): Array<{ device: string; file: string; size: number }> {
    return [...this.kernel.disks.loops.values()].map((l) => ({ device: l.device, file: l.file, size: l.size }));
  }

  /** Moves the fake clock (uptime, start times of new processes) forward. */
  advanceTime(seconds: number): void {
    this.kernel.advanceTime(seconds);
  }
}
