/**
 * What the host's /proc and /sys have: the VE's fresh proc and sysfs come from the same
 * kernel, so they have the same entries, and a bind onto a missing one would fail the
 * start. Some 40 lookups; the starts of one bulk run (and of vzkitd) share one probe
 * for a few seconds. Not longer: a module loaded later adds entries (/proc/scsi,
 * /proc/sys/net/netfilter) that the next start must mask or may offer.
 */
import { join } from 'node:path';
import { reusedFor, type Host } from '@vzkit/core';
import { PROC_MASKED_DIRS, PROC_MASKED_FILES, PROC_READONLY, PROC_SYS_PROBED_DIRS, SYS_MASKED_DIRS, type HostProbe } from './plan.js';

async function present(host: Host, dir: string, names: readonly string[]): Promise<Set<string>> {
  const found = await Promise.all(names.map(async (n) => ((await host.fs.exists(join(dir, n))) ? n : undefined)));
  return new Set(found.filter((n): n is string => n !== undefined));
}

/** How long a probe is used again. */
export const PROBE_REUSE_MS = 5000;

const reused = reusedFor<HostProbe>(PROBE_REUSE_MS);

/** The probe of `host`, made again when the last one is older than {@link PROBE_REUSE_MS} (or failed). */
export function probeHost(host: Host, now = Date.now()): Promise<HostProbe> {
  return reused(host, '', () => probeNow(host), now);
}

async function probeNow(host: Host): Promise<HostProbe> {
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
