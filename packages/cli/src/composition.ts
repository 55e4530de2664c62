/**
 * The default composition: the runtime `vzctl` and `vzlist` drive, made of the Linux
 * host and the plugins below. Adding a subsystem to the tools is one line in
 * {@link defaultPlugins}; its flags, vzlist columns and commands come with it. This is
 * the one place the tools' environment (VZKIT_*) becomes settings: the core and the
 * plugins take options, never the process's environment.
 */
import { armFault, createRuntime, resolvePaths, type Host, type Logger, type Plugin, type Runtime } from '@vzkit/core';
import { nsFsPlugin } from '@vzkit/ns-fs';
import { nsIpcPlugin } from '@vzkit/ns-ipc';
import { nsPidPlugin } from '@vzkit/ns-pid';
import { nsUtsPlugin } from '@vzkit/ns-uts';
import { nsUserPlugin } from '@vzkit/ns-user';
import { createTemplatePlugin, DEBIAN_MIRROR_ENV, TEMPLATE_CACHE_ENV } from '@vzkit/template';
import { ubcPlugin } from '@vzkit/ubc';
import { fairschedPlugin } from '@vzkit/fairsched';
import { lxcfsPlugin } from '@vzkit/lxcfs';
import { createProcfsPlugin } from '@vzkit/procfs';
import { capsPlugin } from '@vzkit/caps';
import { devicesPlugin } from '@vzkit/devices';
import { ioPlugin } from '@vzkit/io';
import { nsNetPlugin } from '@vzkit/ns-net';
import { distroPlugin } from '@vzkit/distro';
import { seccompPlugin } from '@vzkit/seccomp';
import { landlockPlugin } from '@vzkit/landlock';
import { bootPlugin } from './boot.js';
import { quotaPlugin } from '@vzkit/quota';
import { backupPlugin } from '@vzkit/backup';
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The command that runs vzprocfs: the `vzprocfs.js` bundled beside the running tool (a
 * copy of the bundle too: the benchmarks run one), or the CLI's for vzkitd's bundle. Only
 * bundled tools have one: a composition run from the sources (tests) has no server to start.
 */
export function procfsServerCommand(moduleUrl: string = import.meta.url): string[] | undefined {
  const here = dirname(fileURLToPath(moduleUrl));
  const candidates = [join(here, 'vzprocfs.js')];
  // Only from a bundle's dist/: from src/ the same relative path would be the CLI's build.
  if (basename(here) === 'dist') candidates.push(join(here, '../../cli/dist/vzprocfs.js'));
  const script = candidates.find((c) => existsSync(c));
  return script ? [process.execPath, script] : undefined;
}

/**
 * The plugins of the default tools, with settings from `env`. The listing is what the
 * tools show (flags in `--help`, vzlist fields) in this order; the hooks run in the order
 * the plugins' own declarations give (`requires`, `after`, `before`).
 */
export function defaultPlugins(env: NodeJS.ProcessEnv = process.env): Plugin<any, any>[] {
  return [
    createTemplatePlugin({
      ...(env[TEMPLATE_CACHE_ENV] ? { cacheDir: env[TEMPLATE_CACHE_ENV] } : {}),
      ...(env[DEBIAN_MIRROR_ENV] ? { mirror: env[DEBIAN_MIRROR_ENV] } : {}),
    }),
    quotaPlugin,
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
    // /dev/vz (user_beancounters, veinfo), /proc/meminfo and /proc/swaps with the swap limit.
    procfs(),
    capsPlugin,
    devicesPlugin,
    landlockPlugin,
    seccompPlugin,
    bootPlugin,
    // vzdump and vzrestore: no hooks of its own, it drives the others through the core.
    backupPlugin,
  ];
}

function procfs() {
  const server = procfsServerCommand();
  return createProcfsPlugin(server ? { server } : {});
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

/**
 * Builds the runtime on the Linux host; the host (koffi, the launcher) loads only here.
 * From `env`: VZKIT_ROOT (the prefix of every path), VZKIT_CGROUP_PARENT,
 * VZKIT_LOCK_WAIT_MS (how long to wait for a VE another operation holds),
 * VZKIT_FAULT (a crash-injection point, tests only), and the template plugin's
 * VZKIT_TEMPLATE_CACHE and VZKIT_DEBIAN_MIRROR.
 */
export async function createDefaultRuntime(opts: DefaultRuntimeOptions = {}, env: NodeJS.ProcessEnv = process.env): Promise<Runtime> {
  const host = opts.host ?? (await (await import('@vzkit/linux')).createLinuxHost());
  armFault(env.VZKIT_FAULT);
  const cgroupParent = opts.cgroupParent ?? (env.VZKIT_CGROUP_PARENT || undefined);
  const lockWaitMs = Number(env.VZKIT_LOCK_WAIT_MS ?? 0);
  return createRuntime({
    host,
    plugins: defaultPlugins(env),
    paths: resolvePaths(opts.root ?? env.VZKIT_ROOT),
    ...(opts.log ? { log: opts.log } : {}),
    ...(cgroupParent ? { cgroupParent } : {}),
    ...(Number.isFinite(lockWaitMs) && lockWaitMs > 0 ? { lockWaitMs } : {}),
  });
}
