/**
 * The Host interface: the only way anything in vzkit reaches the kernel. `LinuxHost`
 * (@vzkit/linux) implements it with syscalls, cgroup files and the native launcher;
 * `FakeHost` (@vzkit/fake-host) models the same state in memory and fails where the
 * kernel would. Plugins never import node:fs or node:child_process for host work.
 */
import type { ChildOp, IdMapping, LaunchSpec, Namespace } from './plan.js';

export interface FileStat {
  type: 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket';
  mode: number;
  size: number;
  uid: number;
  gid: number;
  /** Device of the filesystem holding the file; differs across mount points. */
  dev: number;
  /** The device a `char` or `block` node stands for. */
  rdev?: { major: number; minor: number };
}

/** Files on the host (VE private areas, templates, /proc, /sys). Paths are absolute. */
export interface HostFs {
  exists(path: string): Promise<boolean>;
  stat(path: string): Promise<FileStat | undefined>;
  readFile(path: string): Promise<string>;
  /** `exclusive`: create the file, failing with EEXIST when anything is at `path` (O_EXCL). */
  writeFile(path: string, data: string | Uint8Array, opts?: { mode?: number; append?: boolean; exclusive?: boolean }): Promise<void>;
  /**
   * writeFile of a small file under vzkit's run directory, made synchronously: there
   * (tmpfs on a real host, where core keeps its run-time records the same way) a write
   * waits on no disk or FUSE server, and one system call costs the event loop less than
   * the thread-pool round trips of an async write. Not for any other path: one on NFS
   * or FUSE could stall the event loop.
   */
  writeRunFile(path: string, data: string): Promise<void>;
  mkdir(path: string, opts?: { mode?: number; recursive?: boolean }): Promise<void>;
  readdir(path: string): Promise<string[]>;
  symlink(target: string, path: string): Promise<void>;
  readlink(path: string): Promise<string>;
  copyFile(src: string, dst: string, opts?: { mode?: number }): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  chmod(path: string, mode: number): Promise<void>;
  /**
   * Sets the owner of `path` itself, never of what a symlink there points to (lchown(2)).
   * As the kernel does for any chown of a non-directory, the setuid bit goes, the setgid
   * bit too where group execute is set, and so do file capabilities (security.capability):
   * a caller that keeps them puts them back.
   */
  chown(path: string, uid: number, gid: number): Promise<void>;
  /**
   * Removes a file or (with recursive) a tree without crossing into other mounted
   * filesystems: a mount point found inside makes it fail with EBUSY instead of deleting
   * the mounted files (the classic `rm -rf` of a still-mounted VE root).
   */
  remove(path: string, opts?: { recursive?: boolean }): Promise<void>;
  /**
   * Names of the extended attributes of `path` itself, never of what a symlink there
   * points to (llistxattr(2)): `user.*`, `trusted.*` (overlayfs' whiteouts and opaque
   * markers), `security.capability` (file capabilities), `system.posix_acl_access` and
   * `system.posix_acl_default` (POSIX ACLs). None where the filesystem keeps none.
   */
  listXattrs(path: string): Promise<string[]>;
  /** One extended attribute of `path` itself (lgetxattr(2)); undefined when it is not set. */
  getXattr(path: string, name: string): Promise<Uint8Array | undefined>;
  /**
   * Sets one extended attribute of `path` itself (lsetxattr(2)), as the kernel checks it:
   * a capability or an ACL of a size it cannot parse is EINVAL, a default ACL on a
   * non-directory EACCES, an unknown namespace or ACL version EOPNOTSUPP (ENOTSUP to
   * node). An access ACL sets the permission bits too, and chmod(2) changes it.
   */
  setXattr(path: string, name: string, value: Uint8Array): Promise<void>;
  /** Space and inodes of the filesystem that holds `path` (statfs(2)), what `df` shows. */
  statfs(path: string): Promise<FsStats>;
  /** Sets the size of an existing file (truncate(2)); growing leaves a hole, so the file stays sparse. */
  truncate(path: string, size: number): Promise<void>;
  /**
   * The whole disks that hold the filesystem of `path`, as the kernel's I/O controllers
   * count them: a partition gives its disk (`vda1` → `vda`), a loop-mounted image its
   * loop device. Empty for filesystems on no block device (tmpfs, overlay, proc).
   */
  disks(path: string): Promise<BlockDevice[]>;
}

/** A block device by its numbers (`254:0`) and kernel name (`vda`). */
export interface BlockDevice {
  major: number;
  minor: number;
  name: string;
}

/**
 * Files inside a VE's own tree (under VE_ROOT, or VE_PRIVATE/fs), read and written by
 * vzkit as the host's root while the VE's root may be changing that tree under it: it can
 * swap any name for a symlink to a host file, a FIFO or a device at any moment. So a
 * guest path is never opened by name from the host's `/`: `rel` (relative, no `..`) is
 * resolved beneath a descriptor of `root` in one step that refuses symlinks on the way and
 * across mount points (openat2(2) RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS |
 * RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV), its type is checked on that descriptor before
 * anything is opened for reading or writing, and what is read is bounded.
 *
 * What the guest's tree makes unsafe — a symlink (last or on the way), a mount crossed,
 * a component that is not a directory, a file that is not a regular one (FIFO, device,
 * socket, directory), a file larger than the read limit — is refused with a VzError
 * `GUEST_FILE` whose message names the file as the guest sees it (`/etc/hosts is a
 * symbolic link, ...`); see `isGuestFileRefusal`. Other failures (EIO, ENOSPC, EROFS)
 * are VzErrors of their own. Nothing is changed by a refusal. A `root` that does not
 * exist (a VE whose root is not mounted) is like a missing file.
 */
export interface GuestFs {
  /** The entry at `rel` itself (a last symlink is reported, not followed); undefined when missing. */
  stat(root: string, rel: string): Promise<FileStat | undefined>;
  /**
   * The regular file at `rel` as text; undefined when it (or its directory) is missing.
   * Files larger than `maxBytes` (default {@link GUEST_READ_LIMIT}) are refused, as is a
   * file that grows past it while read.
   */
  read(root: string, rel: string, opts?: { maxBytes?: number }): Promise<string | undefined>;
  /**
   * Replaces the regular file at `rel` with `data` atomically: a new file made with
   * O_EXCL in the directory's descriptor, written, given its owner and mode, then
   * renamed over the old one within that directory. A replaced file keeps its owner and
   * mode; a new one (with `create`) takes the owner of its directory — in a
   * user-namespaced VE the host uid of the VE's root — and `mode` (default 0644).
   * `mode` given also applies to a replaced file. Set-id bits are never written.
   * False, with nothing written, when the file is missing and `create` is not set, or
   * when its directory is missing.
   */
  write(root: string, rel: string, data: string | Uint8Array, opts?: { create?: boolean; mode?: number }): Promise<boolean>;
}

/** Bytes {@link GuestFs.read} reads at most unless told otherwise: 1 MiB. */
export const GUEST_READ_LIMIT = 1 << 20;

/** One filesystem's size and use, in its own blocks (statfs(2)). */
export interface FsStats {
  /**
   * The filesystem's type by its magic number: `ext4` (also ext2/ext3, which share it),
   * `btrfs`, `xfs`, `overlay`, `tmpfs`, ...; `0x` and the number in hex for others.
   */
  type: string;
  /** Bytes per block: the unit of the block counts. */
  blockSize: number;
  blocks: number;
  blocksFree: number;
  /** Free blocks an unprivileged writer may use (less than free where some are reserved). */
  blocksAvailable: number;
  /** Inodes in all; 0 where the filesystem has no fixed number (btrfs). */
  files: number;
  filesFree: number;
}

export type MountFlag =
  | 'rdonly' | 'nosuid' | 'nodev' | 'noexec' | 'relatime' | 'noatime'
  | 'bind' | 'rec' | 'remount' | 'private' | 'slave' | 'shared' | 'unbindable' | 'move' | 'strictatime';

export interface MountSpec {
  source: string;
  target: string;
  fstype?: string;
  flags?: MountFlag[];
  data?: string;
  /** Directory to resolve relative paths in `data` from (overlay lowerdir/upperdir). */
  cwd?: string;
  /**
   * `source` is a file holding a filesystem image (mount(8)'s `-o loop`): it is attached
   * to a free loop device that detaches by itself once the filesystem is unmounted, or at
   * once when the mount fails or the caller dies first, so nothing is left behind.
   */
  loop?: boolean;
}

export interface MountEntry {
  id: number;
  parent: number;
  target: string;
  fstype: string;
  source: string;
  options: string;
}

/**
 * A bind mount through which the tree's owners appear shifted by a user namespace's maps
 * (an idmapped mount): a file the host's root owns shows as owned by the host uid that
 * stands for root inside the VE. The tree itself is not changed.
 */
export interface IdmappedBind {
  source: string;
  target: string;
  uidMap: IdMapping[];
  gidMap: IdMapping[];
  readOnly?: boolean;
}

export interface MountService {
  mount(spec: MountSpec): Promise<void>;
  /**
   * Mounts an idmapped bind of `source` on `target`. UNSUPPORTED when the kernel or the
   * source's filesystem cannot idmap mounts (before Linux 5.12; overlayfs as the source).
   */
  bindIdmapped(spec: IdmappedBind): Promise<void>;
  /** Unmounts; `detach` = MNT_DETACH, `recursive` also unmounts everything below first. */
  umount(target: string, opts?: { detach?: boolean; recursive?: boolean }): Promise<void>;
  /** The calling process's mount table (/proc/self/mountinfo). */
  list(): Promise<MountEntry[]>;
  isMountPoint(path: string): Promise<boolean>;
  /**
   * Makes a loop device (`/dev/loop3`, the source of a `loop` mount) take the current size
   * of its backing file after the file grew (LOOP_SET_CAPACITY), so the filesystem on it
   * can grow online.
   */
  refreshLoop(device: string): Promise<void>;
}

/**
 * Limits in the words of the resources, not of cgroup files: the CgroupManager backend
 * (v1 or v2) turns them into files. `null` means "no limit".
 */
export interface CgroupResources {
  pids?: { max?: number | null };
  memory?: {
    /** Hard RAM limit in bytes (v1 memory.limit_in_bytes, v2 memory.max). */
    max?: number | null;
    /** Swap allowed on top of max, bytes (v1 memsw = max + swap, v2 memory.swap.max). */
    swap?: number | null;
    /** Best-effort protection (v1 soft limit, v2 memory.low); null = none (v1 -1, v2 0). */
    low?: number | null;
    /** Kernel memory limit (v1 kmem only; ignored where the kernel ignores it). */
    kmem?: number | null;
    /** TCP buffer limit (v1 kmem.tcp only). */
    kmemTcp?: number | null;
  };
  cpu?: {
    /** Relative weight 1..10000, default 100 (v2 cpu.weight; v1 shares = weight*1024/100). */
    weight?: number;
    /** Hard limit: microseconds of CPU per period; null = none. */
    quota?: number | null;
    period?: number;
  };
  cpuset?: { cpus?: string; mems?: string };
  /** The devices the group may use: everything else is denied (v1 devices controller). */
  devices?: { allow: DeviceRule[] };
  /** Block I/O: the group's share and per-device throttles (v1 blkio, v2 io). */
  io?: {
    /**
     * Proportional share 1..10000, default 100 (v2 io.weight / io.bfq.weight; v1
     * blkio.weight / blkio.bfq.weight scaled to 10..1000); null = the default. Only the
     * BFQ scheduler or the io.cost model acts on it; without a weight file it is UNSUPPORTED.
     */
    weight?: number | null;
    /** Throttles, one per device; a device given with every field null loses its limits. */
    limits?: IoLimit[];
  };
}

/** Bandwidth and operation limits of one block device; null = none (v1 throttle files, v2 io.max). */
export interface IoLimit {
  major: number;
  minor: number;
  readBps: number | null;
  writeBps: number | null;
  readIops: number | null;
  writeIops: number | null;
}

/** One device allowed: `c 1:3 rwm` (type, major:minor or `*`, read/write/mknod). */
export interface DeviceRule {
  type: 'c' | 'b';
  major: number | '*';
  minor: number | '*';
  access: string;
}

/**
 * One kernel counter: what is used now, its peak where the kernel keeps one, the
 * refusals it counted and its limit (null = none). Fields the kernel does not offer on
 * this host are left out, never guessed.
 */
export interface CgroupCounter {
  usage: number;
  /** High-water mark (v1 `*.max_usage_in_bytes`, `pids.peak`; v2 `memory.peak`). */
  maxUsage?: number;
  /** Charges refused at the limit (v1 `*.failcnt`, `pids.events` max; v2 `memory.events` max). */
  failcnt?: number;
  max?: number | null;
}

export interface CgroupStats {
  pids?: { current: number; max: number | null; failcnt: number; peak?: number };
  memory?: {
    usage: number;
    maxUsage: number;
    max: number | null;
    failcnt: number;
    /** Swap in use, bytes (v1: memsw usage minus RAM usage; v2 memory.swap.current). */
    swapUsage?: number;
    /** Kernel memory charged to the group (v1 kmem.usage_in_bytes; v2 memory.stat `kernel`). */
    kmemUsage?: number;
    /** memory.stat as numbers (`shmem`, `sock`, `slab_reclaimable`, ...). */
    stat: Record<string, number>;
    /** Swap counter: v1 memsw (RAM + swap, so `usage` here is swap alone, peak and failcnt of memsw); v2 memory.swap.*. */
    swap?: CgroupCounter;
    /** Kernel memory counter (v1 memory.kmem.*; v2: usage only, from memory.stat). */
    kmem?: CgroupCounter;
    /** TCP buffer counter (v1 memory.kmem.tcp.*; v2: usage only, memory.stat `sock`). */
    tcp?: CgroupCounter;
    /** Processes killed by the OOM killer in this group (v1 memory.oom_control, v2 memory.events). */
    oomKills?: number;
  };
  cpu?: { usageNs: number; throttledNs?: number };
}

/**
 * A group name such as `vzkit/101` or `@self/vzkit-test-42/101`. `@self` is resolved per
 * hierarchy to the calling process's own cgroup (from /proc/self/cgroup).
 */
export type CgroupRef = string;

export interface CgroupManager {
  readonly version: 1 | 2;
  /** Controllers available to vzkit on this host. */
  controllers(): Promise<string[]>;
  exists(group: CgroupRef): Promise<boolean>;
  /** Creates the group (and missing parents) in every hierarchy vzkit uses. */
  create(group: CgroupRef): Promise<void>;
  attach(group: CgroupRef, pid: number): Promise<void>;
  set(group: CgroupRef, resources: CgroupResources): Promise<void>;
  stats(group: CgroupRef): Promise<CgroupStats>;
  /**
   * The same counters as {@link stats} for many groups in one pass, for a daemon that
   * samples every VE often (a metrics scrape): files are read synchronously (they never
   * wait on a disk) and kept open between calls where the descriptor budget allows, so a
   * counter costs one pread. Limits (`max`) change only when vzkit writes them and are
   * read again only every few calls: use {@link stats} for a limit just written. Groups
   * that cannot be read are left out; descriptors of groups not asked for again are closed.
   */
  sample(groups: readonly CgroupRef[]): Promise<Map<CgroupRef, CgroupStats>>;
  pids(group: CgroupRef): Promise<number[]>;
  freeze(group: CgroupRef): Promise<void>;
  thaw(group: CgroupRef): Promise<void>;
  /** Kills every process in the group and waits until it is empty. */
  kill(group: CgroupRef): Promise<void>;
  /** Removes the group in every hierarchy; a missing group is not an error. */
  destroy(group: CgroupRef): Promise<void>;
  /**
   * Removes the group where it is empty (no processes, no child groups) and leaves it
   * wherever it is not: a parent of VEs, once the last of them is gone.
   */
  prune(group: CgroupRef): Promise<void>;
  /** Absolute directory per hierarchy (for joining, and for the state file). */
  paths(group: CgroupRef): Promise<Record<string, string>>;
}

export interface ProcessService {
  /** Start time (clock ticks since boot, /proc/PID/stat field 22); undefined when gone. */
  startTime(pid: number): Promise<number | undefined>;
  /** True when pid runs and, if given, started at startTime (against pid reuse). */
  alive(pid: number, startTime?: number): Promise<boolean>;
  /** Sends a signal; false when the process no longer exists. */
  signal(pid: number, signal: NodeJS.Signals | number): Promise<boolean>;
  /** Waits up to timeoutMs for pid to exit; true when it did. Works for non-children. */
  waitExit(pid: number, timeoutMs: number): Promise<boolean>;
  /** Namespace identity (`pid:[4026531836]`) of a process, for checks and joins. */
  namespaceId(pid: number, ns: Namespace): Promise<string | undefined>;
  /**
   * Sets a resource limit of a running process (prlimit(2); `NOFILE`, `MEMLOCK`, ...;
   * Infinity = unlimited). False when the process is gone.
   */
  setRlimit(pid: number, resource: string, soft: number, hard: number): Promise<boolean>;
  /**
   * Starts a host daemon (lxcfs) detached from vzctl: its own session, stdin from
   * /dev/null, stdout and stderr appended to `log`. Resolves with its pid once spawned.
   */
  daemon(argv: string[], opts: { log: string }): Promise<number>;
  /**
   * Runs a host program (`tar`, `mmdebstrap`) to its end and resolves with its status
   * and output, whatever the status: the caller decides what a non-zero exit means.
   * argv[0] is looked up on PATH unless it contains a slash. The program dies with the
   * calling process, so a vzctl killed midway leaves no program running. Fails with a
   * VzError: errno ENOENT naming the program when it does not exist, EXEC_TIMEOUT when
   * it was still running after `timeoutMs` (it is killed).
   */
  run(argv: string[], opts?: RunOptions): Promise<RunResult>;
}

/** How {@link ProcessService.run} runs a program. */
export interface RunOptions {
  /** Working directory; default the caller's. */
  cwd?: string;
  /** Added to (and overriding) the caller's environment. */
  env?: Record<string, string>;
  /**
   * Written to the program's stdin, then closed; without it stdin is /dev/null. Text,
   * bytes, or chunks handed over as the program takes them (a tar stream to unpack): an
   * iterable that fails kills the program and fails the run with its error.
   */
  input?: string | Uint8Array | AsyncIterable<Uint8Array>;
  /** Kill the program (SIGKILL) after this long and fail with EXEC_TIMEOUT. */
  timeoutMs?: number;
  /** Called with each line of output as it comes (without the newline): progress. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /**
   * The program's standard output as bytes, in order, instead of captured (`stdout` of
   * the result is then empty and `onLine` sees stderr alone): a tar or zstd stream. The
   * program waits while a returned promise is pending; one that rejects kills the program
   * and fails the run with its error.
   */
  onOutput?: (chunk: Uint8Array) => void | Promise<void>;
  /**
   * The program talks to the caller's own terminal (`top`, `watch`): it gets the caller's
   * stdin, stdout and stderr, nothing is captured (`stdout`/`stderr` of the result are
   * empty) and `input`/`onLine` do not apply. The caller ignores SIGINT meanwhile, so a
   * Ctrl-C ends the program and the caller reports how it ended.
   */
  terminal?: boolean;
}

/** What a program run by {@link ProcessService.run} did. */
export interface RunResult {
  /** Exit status; 128+N when killed by signal N. */
  code: number;
  /** `SIGKILL` when a signal ended it. */
  signal?: string;
  stdout: string;
  stderr: string;
}

export interface LaunchResult {
  /** Host pid of the VE's init. */
  pid: number;
  startTime: number;
}

export interface ExecSpec {
  /** Host pid of the VE's init, whose namespaces are joined. */
  pid: number;
  namespaces: Namespace[];
  /** Group to join before running (so the command is counted and limited with the VE). */
  cgroup?: CgroupRef;
  argv: string[];
  env: string[];
  cwd?: string;
  /** `inherit`: share vzctl's stdio; `pipe`: capture output (and feed `input`). */
  stdio?: 'inherit' | 'pipe';
  input?: string | Uint8Array;
  /** Allocate a pseudo-terminal inside the VE and relay the caller's terminal to it. */
  tty?: boolean;
  /** Taken on after joining, before the command exists (the VE's joinOps: capDrop, landlock, seccomp). */
  ops?: ChildOp[];
  /**
   * `mount` and `write` ops the launcher makes itself inside the VE's namespaces, before
   * it takes on the VE's restrictions: vzkit's own changes to the VE (a remount of its
   * /dev/shm with a new size), which a VE whose root may not mount could not make, run
   * by no program of the VE. Paths are the VE's own.
   */
  setup?: ChildOp[];
  timeoutMs?: number;
}

export interface ExecResult {
  /** Exit status; 128+N when killed by signal N. */
  code: number;
  signal?: string;
  stdout?: string;
  stderr?: string;
}

/**
 * Changes made inside a running VE's mount namespace from the host (OpenVZ's
 * `vzctl set --devnodes` on a running CT): the launcher joins `namespaces` of `pid`
 * (its user namespace first, then its mount namespace) and runs `ops` there as the
 * VE's root. A `mount` op with the `bind` flag takes its source from the host's mount
 * namespace (opened before joining, then moved in: open_tree + move_mount), so a host
 * device node can be bound into a VE whose root may not make one. Other ops act on the
 * VE's own paths (after its pivot: `/dev/net/tun`, not VE_ROOT/dev/...).
 */
export interface InjectSpec {
  pid: number;
  namespaces: Namespace[];
  ops: ChildOp[];
}

/** The native launcher: clone + handshake for start, setns + fork for exec/enter. */
export interface Launcher {
  /**
   * Clones the VE's init with the spec's namespaces and stops it on the handshake, in
   * `spec.cgroup` when given; `attach` runs with the host pid (veths, uid maps); then the
   * child runs the spec's ops and execs init. Resolves once exec succeeded; if anything
   * fails the child is killed and the promise rejects with the failing op named.
   */
  start(spec: LaunchSpec, attach: (pid: number) => Promise<void>): Promise<LaunchResult>;
  exec(spec: ExecSpec): Promise<ExecResult>;
  /**
   * Runs ops in a running VE's namespaces without a command (see {@link InjectSpec});
   * fails naming the op, with the kernel's errno, and leaves the ops before it done.
   */
  inject(spec: InjectSpec): Promise<void>;
}

export interface SystemInfo {
  pageSize: number;
  cpus: number;
  kernelRelease: string;
  /** Total RAM in bytes. */
  memTotal: number;
  /** Clock ticks per second (for start times). */
  clockTicks: number;
  /** Host uptime in seconds (to turn start times into ages). */
  uptime(): Promise<number>;
  /**
   * The running kernel's build options (`CONFIG_QFMT_V2` → `y`, `m`, or a value; options
   * not set are absent) from /proc/config.gz or /boot/config-RELEASE; undefined when the
   * kernel publishes neither.
   */
  kernelConfig(): Promise<ReadonlyMap<string, string> | undefined>;
  /**
   * The Landlock ABI version the running kernel offers (1 = Linux 5.13, ...); 0 when it
   * has no Landlock or it is disabled (not in the `lsm=` list). The `landlock` child op
   * needs 1 or more.
   */
  landlockAbi(): Promise<number>;
}

/**
 * Which network namespace a {@link NetService} call acts in: the caller's own (`host`,
 * where vzctl runs) or that of a running process (a VE's init).
 */
export type NetnsRef = 'host' | { pid: number };

export interface NetLink {
  name: string;
  index: number;
  /** Administratively up (IFF_UP). */
  up: boolean;
  /** IFF_NOARP: no ARP/NDP; frames go to the device's own MAC (venet's point-to-point mode). */
  noarp: boolean;
  loopback: boolean;
  mac?: string;
  mtu?: number;
  /** `veth`, `bridge`, ...; none for physical devices and lo. */
  kind?: string;
  /** Name of the bridge (or other master) the link is enslaved to. */
  master?: string;
}

export interface NetAddress {
  dev: string;
  family: 4 | 6;
  /** `198.18.0.1/32`, `2001:db8::1/128`. */
  cidr: string;
}

export interface NetRoute {
  family: 4 | 6;
  /** `198.18.0.1/32` or `default`. */
  dst: string;
  dev?: string;
  gateway?: string;
  /** `link` for a device route without gateway (the default then), `universe` otherwise. */
  scope?: 'link' | 'universe' | 'host';
}

/** Traffic counters of one link (IFLA_STATS64), as seen from its own namespace. */
export interface LinkStats {
  rxBytes: number;
  txBytes: number;
  rxPackets: number;
  txPackets: number;
  rxDropped: number;
  txDropped: number;
  rxErrors: number;
  txErrors: number;
}

export interface RouteMatch extends NetRoute {
  /** `ip` is an address of the namespace itself (a route of type local). */
  local: boolean;
}

export interface VethSpec {
  /** Name of the end in `ns`. */
  name: string;
  /** Name of the other end, created straight in `peerNs`. */
  peer: string;
  peerNs: NetnsRef;
  mac?: string;
  peerMac?: string;
  mtu?: number;
}

/**
 * Network devices, addresses, routes, proxy neighbours and net sysctls of one network
 * namespace at a time (rtnetlink on Linux). Deleting what is missing answers false.
 */
export interface NetService {
  links(ns: NetnsRef): Promise<NetLink[]>;
  /**
   * Traffic counters of every link of the namespace, by name, in one request (an
   * RTM_GETSTATS dump on Linux): a scrape reads all VEs' host-side links at once.
   */
  linkStats(ns: NetnsRef): Promise<Map<string, LinkStats>>;
  /** One link by name, without listing the others; undefined when there is none. */
  link(ns: NetnsRef, name: string): Promise<NetLink | undefined>;
  /**
   * The routing entry the namespace picks for `ip`, with its own prefix (`198.18.0.1/32`,
   * a network, `default`); `local` when `ip` is one of the namespace's own addresses;
   * undefined when nothing routes it. One lookup however many routes there are.
   */
  routeMatch(ns: NetnsRef, ip: string): Promise<RouteMatch | undefined>;
  /** Creates a veth pair; EEXIST when a name is taken in its namespace. */
  addVeth(ns: NetnsRef, spec: VethSpec): Promise<void>;
  setLink(ns: NetnsRef, dev: string, opts: { up?: boolean; noarp?: boolean; mac?: string; mtu?: number; master?: string | null }): Promise<void>;
  deleteLink(ns: NetnsRef, dev: string): Promise<boolean>;
  addresses(ns: NetnsRef, dev?: string): Promise<NetAddress[]>;
  /** Adds an address (IPv6 without duplicate detection: usable at once). */
  addAddress(ns: NetnsRef, dev: string, cidr: string): Promise<void>;
  deleteAddress(ns: NetnsRef, dev: string, cidr: string): Promise<boolean>;
  /** Routes of the main table. */
  routes(ns: NetnsRef, family?: 4 | 6): Promise<NetRoute[]>;
  addRoute(ns: NetnsRef, route: NetRoute, opts?: { replace?: boolean }): Promise<void>;
  deleteRoute(ns: NetnsRef, route: NetRoute): Promise<boolean>;
  /** Proxy ARP (IPv4) / NDP (IPv6) entries: the namespace answers for `ip` on `dev`. */
  proxyNeighbours(ns: NetnsRef): Promise<Array<{ ip: string; dev: string }>>;
  addProxyNeighbour(ns: NetnsRef, ip: string, dev: string): Promise<void>;
  deleteProxyNeighbour(ns: NetnsRef, ip: string, dev: string): Promise<boolean>;
  /**
   * Strict source checking, IPv4 and IPv6, for packets that arrive on devices whose
   * names begin with `devPrefix`: such a packet is dropped unless the namespace routes
   * its source back out of the device it came in on (what rp_filter=1 does for IPv4
   * alone). Namespace-wide and idempotent; UNSUPPORTED where the host cannot.
   */
  checkSources(ns: NetnsRef, devPrefix: string): Promise<void>;
  /** A net sysctl of the namespace (`net/ipv4/ip_forward`, `net/ipv4/conf/DEV/rp_filter`); undefined when missing. */
  sysctl(ns: NetnsRef, key: string): Promise<string | undefined>;
  setSysctl(ns: NetnsRef, key: string, value: string): Promise<void>;
}

/** The process that opens a file of a {@link ServedFs}, as the kernel names it to the server. */
export interface FuseCaller {
  /** Its pid (a thread's id for a thread) in the server's PID namespace; 0 when not visible there. */
  pid: number;
  /** Its filesystem uid and gid on the host. */
  uid: number;
  gid: number;
}

/** One directory or file of a {@link ServedFs}. */
export interface ServedEntry {
  /** Relative to the filesystem's root, no leading slash (`vz/veinfo`); its parents are entries too. */
  path: string;
  type: 'dir' | 'file';
  /** Permission bits (0o444, 0o555); the filesystem is read-only whatever they say. */
  mode: number;
}

/** What one open of a {@link ServedFs} file reads. */
export interface ServedContent {
  data: string | Uint8Array;
  /**
   * Whom the open counts against (a VE) for {@link ServedFs.openLimit}: one owner's open
   * files cannot exhaust the server for the others.
   */
  owner?: string;
}

/**
 * A read-only filesystem of generated files, as a FUSE server answers it: a fixed tree,
 * and each file's content made when a process opens it, for that process (as procfs and
 * lxcfs do). The reads of one open see the content made for it; nothing is cached across
 * opens, processes or mounts.
 */
export interface ServedFs {
  readonly entries: readonly ServedEntry[];
  /**
   * Open handles one owner may hold at once, and (16 times as many) files it may have
   * looked up, counted apart: a bind pins one file that can be opened any number of
   * times, and the kernel keeps a looked-up file until it drops its name. Beyond,
   * opens and lookups fail with EMFILE. Unlimited when absent.
   */
  readonly openLimit?: number;
  /**
   * A directory entry (`ve`) under which each name the server accepts (`exists`) is a
   * copy of the whole tree of its own (`ve/101/meminfo`), opened with that name as the
   * scope. Every owner walks its own copy: a FUSE name that is looked up anew at every
   * walk (each walk its own file) races in the kernel when processes of many owners walk
   * it at once (seen as ENOENT with eight VEs starting together).
   */
  readonly scopes?: { readonly dir: string; exists(name: string): Promise<boolean> };
  /**
   * The content of file `path` (relative to its tree) for one open by `caller`, of the
   * copy `scope` (see {@link scopes}) or of the top tree (undefined). Throwing an error
   * whose `errno` is a name (`EACCES`, `ENOENT`) refuses the open with it; any other
   * error refuses it with EIO.
   */
  open(path: string, caller: FuseCaller, scope?: string): Promise<ServedContent>;
}

/** A mounted {@link ServedFs} this process answers. */
export interface FuseSession {
  /** Where it is mounted. */
  readonly target: string;
  /** Settles when the kernel ends the session (unmounted, or aborted). */
  readonly done: Promise<void>;
  /** Unmounts (lazily) and stops answering. */
  close(): Promise<void>;
}

export interface FuseService {
  /**
   * Mounts `fs` at `target` (an existing directory) as a FUSE filesystem of type
   * `fuse.<name>` (nosuid, nodev, noexec, read-only, open to every user and checked by
   * the mode bits) and answers it from this process until the session ends. Requests the
   * server leaves unanswered for `timeoutSec` (default 30) make the kernel abort the
   * connection where it can (Linux 6.14+): readers then get an error instead of waiting
   * on a stuck server. When this process dies, every reader gets ENOTCONN.
   */
  serve(target: string, fs: ServedFs, opts: { name: string; timeoutSec?: number }): Promise<FuseSession>;
}

export interface Host {
  readonly fs: HostFs;
  /** Files inside a VE's tree: the only way to them (see {@link GuestFs}). */
  readonly guestFs: GuestFs;
  readonly mounts: MountService;
  readonly cgroups: CgroupManager;
  readonly processes: ProcessService;
  readonly launcher: Launcher;
  readonly net: NetService;
  readonly system: SystemInfo;
  /** Filesystems this process serves over FUSE (/dev/fuse). */
  readonly fuse: FuseService;
}
