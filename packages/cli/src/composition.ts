/**
 * The default composition: the runtime `vzctl` and `vzlist` drive, made of the Linux
 * host and the plugins below. Adding a subsystem to the tools is one line in
 * {@link defaultPlugins}; its flags, vzlist columns and commands come with it.
 */
import { createRuntime, resolvePaths, type Host, type Logger, type Plugin, type Runtime } from '@vzkit/core';
import { nsFsPlugin } from '@vzkit/ns-fs';
import { nsIpcPlugin } from '@vzkit/ns-ipc';
import { nsPidPlugin } from '@vzkit/ns-pid';
import { nsUtsPlugin } from '@vzkit/ns-uts';
import { nsUserPlugin } from '@vzkit/ns-user';
import { templatePlugin } from '@vzkit/template';
import { ubcPlugin } from '@vzkit/ubc';
import { fairschedPlugin } from '@vzkit/fairsched';
import { lxcfsPlugin } from '@vzkit/lxcfs';
import { capsPlugin } from '@vzkit/caps';
import { devicesPlugin } from '@vzkit/devices';
import { ioPlugin } from '@vzkit/io';
import { nsNetPlugin } from '@vzkit/ns-net';
import { distroPlugin } from '@vzkit/distro';
import { seccompPlugin } from '@vzkit/seccomp';
import { landlockPlugin } from '@vzkit/landlock';
import { bootPlugin } from './boot.js';
import { quotaPlugin } from '@vzkit/quota';

/** The plugins of the default tools (the runtime orders them by `requires`). */
export function defaultPlugins(): Plugin<any, any>[] {
  return [
    templatePlugin,
    // Before ns-fs: it makes and mounts the disk the VE's root lives on (teardown is reversed).
    quotaPlugin,
    // The user namespace owns the others: first of them, though ns-fs reads the mapping from the core.
    nsUserPlugin,
    nsFsPlugin,
    nsPidPlugin,
    nsIpcPlugin,
    nsUtsPlugin,
    nsNetPlugin,
    distroPlugin,
    ubcPlugin,
    fairschedPlugin,
    ioPlugin,
    lxcfsPlugin,
    capsPlugin,
    devicesPlugin,
    landlockPlugin,
    seccompPlugin,
    bootPlugin,
  ];
}

export interface DefaultRuntimeOptions {
  /** Prefix of every vzkit path (`--root DIR`); default VZKIT_ROOT, else the system paths. */
  root?: string;
  log?: Logger;
  /** Another host than Linux (help output uses one that refuses every call). */
  host?: Host;
  /** Cgroup parent of the VEs; default VZKIT_CGROUP_PARENT, else vz.conf's CGROUP_PARENT. */
  cgroupParent?: string;
}

/** Builds the runtime on the Linux host; the host (koffi, the launcher) loads only here. */
export async function createDefaultRuntime(opts: DefaultRuntimeOptions = {}): Promise<Runtime> {
  const host = opts.host ?? (await (await import('@vzkit/linux')).createLinuxHost());
  return createRuntime({
    host,
    plugins: defaultPlugins(),
    paths: resolvePaths(opts.root ?? process.env.VZKIT_ROOT),
    ...(opts.log ? { log: opts.log } : {}),
    ...(opts.cgroupParent ? { cgroupParent: opts.cgroupParent } : {}),
  });
}
