/**
 * What the host's /proc and /sys have, read once per start: the VE's fresh proc and
 * sysfs come from the same kernel, so they have the same entries, and a bind onto a
 * missing one would fail the start.
 */
import { join } from 'node:path';
import type { Host } from '@vzkit/core';
import { PROC_MASKED_DIRS, PROC_MASKED_FILES, PROC_READONLY, PROC_SYS_PROBED_DIRS, SYS_MASKED_DIRS, type HostProbe } from './plan.js';

async function present(host: Host, dir: string, names: readonly string[]): Promise<Set<string>> {
  const found = await Promise.all(names.map(async (n) => ((await host.fs.exists(join(dir, n))) ? n : undefined)));
  return new Set(found.filter((n): n is string => n !== undefined));
}

export async function probeHost(host: Host): Promise<HostProbe> {
  const procSys = new Map<string, ReadonlySet<string>>();
  await Promise.all(PROC_SYS_PROBED_DIRS.map(async (d) => {
    try {
      procSys.set(d, new Set(await host.fs.readdir(join('/proc/sys', d))));
    } catch {
      // Not listable here: keys below it are taken on trust.
    }
  }));
  return {
    proc: await present(host, '/proc', [...PROC_MASKED_FILES, ...PROC_MASKED_DIRS, ...PROC_READONLY]),
    sys: await present(host, '/sys', SYS_MASKED_DIRS),
    procSys,
  };
}
