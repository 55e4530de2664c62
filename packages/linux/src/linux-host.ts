/** LinuxHost: the Host of a real Linux kernel. */
import type { CgroupManager, Host } from '@vzkit/core';
import { detectCgroupManager } from './cgroup/index.js';
import { LinuxHostFs } from './fs.js';
import { LinuxGuestFs } from './guest-fs.js';
import { NativeLauncher } from './launcher/launcher.js';
import { LinuxMountService } from './mounts.js';
import { LinuxProcessService } from './process.js';
import { LinuxNetService } from './net/net-service.js';
import { LinuxSystemInfo } from './system.js';
import { LinuxFuseService } from './fuse.js';

export interface LinuxHostOptions {
  /** Root of the cgroup filesystems (default /sys/fs/cgroup). */
  cgroupRoot?: string;
  /** The native launcher; default: $VZKIT_LAUNCHER or the one built in this package. */
  launcherPath?: string;
}

export class LinuxHost implements Host {
  readonly fs = new LinuxHostFs();
  readonly guestFs = new LinuxGuestFs();
  readonly mounts = new LinuxMountService((spec) => this.launcher.bindIdmapped(spec));
  readonly processes = new LinuxProcessService();
  readonly system = new LinuxSystemInfo();
  readonly net = new LinuxNetService();
  readonly fuse = new LinuxFuseService();
  readonly launcher: NativeLauncher;

  constructor(readonly cgroups: CgroupManager, opts: { launcherPath?: string } = {}) {
    this.launcher = new NativeLauncher({
      processes: this.processes,
      cgroups,
      ...(opts.launcherPath !== undefined ? { path: opts.launcherPath } : {}),
    });
  }
}

/**
 * Detects the host's cgroup layout and builds the LinuxHost. The launcher binary is
 * looked up on first use, so commands that never start or enter a VE work without it.
 */
export async function createLinuxHost(opts: LinuxHostOptions = {}): Promise<LinuxHost> {
  const cgroups = await detectCgroupManager(opts.cgroupRoot !== undefined ? { root: opts.cgroupRoot } : {});
  return new LinuxHost(cgroups, opts.launcherPath !== undefined ? { launcherPath: opts.launcherPath } : {});
}
