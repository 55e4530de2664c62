/**
 * @vzkit/fake-host — FakeHost, an in-memory Host that models the kernel's state and
 * fails where the kernel would, so plugins are unit-tested without root by asserting
 * the resulting state.
 *
 * Modelled: files per filesystem (own device number each), mount namespaces with bind,
 * recursive bind, remount, move, overlay (copy-up, whiteouts, opaque dirs), tmpfs,
 * proc (per pid namespace; /proc/sys per uts/ipc/net namespace), block-device
 * filesystems that keep their files; pivot_root; processes with namespaces, pid numbers
 * per pid namespace, signals, the death of a pid namespace with its init; a cgroup tree
 * (v1 or v2) with limits checked like the kernel, pids.max on fork, freezer; the
 * launcher's child ops and an exec with a table of fake commands; host programs played
 * by handlers tests register (`fake.onRun`); per network namespace, devices (lo, veth
 * pairs across namespaces, host NICs and bridges),
 * addresses, the main routing table, proxy ARP/NDP entries and net sysctls, all gone
 * with the namespace's last process; files inside a VE's tree (`guestFs`) resolved
 * beneath its root as openat2 does, refusing symlinks, mounts and what is not a
 * regular file, replaced by a new file renamed over the old; FUSE filesystems a process
 * serves (files made per open for the opener's host pid and uid, ENOTCONN once the
 * server died). Errors: node:fs-style for files, VzError with
 * `errno` and `path` for mounts (MOUNT_FAILED, UMOUNT_FAILED), cgroups and processes
 * (SYSTEM), VzError with `errno` for the network (SYSTEM), launch (ENV_CREATE) and
 * exec (EXEC_FAILED).
 *
 * Not modelled: permissions and owners (everyone is root), mount propagation, zombies
 * (the dead are reaped at once), packets and neighbour resolution, routes the kernel
 * derives from addresses, routing tables other than main, what user namespaces' id
 * maps do (they are only recorded), per-namespace sysfs, the console file of init
 * (recorded, never written), file times.
 *
 * ```ts
 * const fake = new FakeHost();
 * fake.fs.seed('/tpl/sbin/init', '', { mode: 0o755 });
 * const { pid } = await fake.launcher.start(spec, async () => {});
 * expect(fake.process(pid)?.hostname).toBe('ct101');
 * ```
 * @packageDocumentation
 */
export { FakeHost, FakeSystem } from './fake-host.js';
export type { FakeHostOptions } from './fake-kernel.js';
export { FakeFs } from './fake-fs.js';
export { FakeGuestFs } from './fake-guest-fs.js';
export { FakeMounts } from './fake-mounts.js';
export { FakeCgroups } from './fake-cgroups.js';
export { FakeNet } from './fake-net.js';
export { FakeProcesses, type FakeProcessInfo } from './fake-processes.js';
export { FakeLauncher } from './fake-launcher.js';
export { FakeCommands, type CommandContext, type CommandHandler, type CommandOutput } from './fake-commands.js';
export type { FakeRunContext, FakeRunOutput, RunHandler } from './fake-run.js';
export type { ExitStatus, SignalAction, SignalHandler } from './fake-process.js';
export type { SysvObject } from './fake-namespaces.js';
export { errnoOf, type Errno, type FaultOptions, type FaultTarget } from './fake-errors.js';
export { fakeVe, type FakeVe, type PlanSeen } from './fake-ve.js';
export { failure } from './failure.js';
export type { FsCapacity } from './fake-vnode.js';
export { templateStandIn, userNamespaceStandIn } from './stand-ins.js';
export { installFakeLxcfs, FAKE_LXCFS_FILES } from './fake-lxcfs.js';
export { FakeFuse, FuseSuperblock } from './fake-fuse.js';
