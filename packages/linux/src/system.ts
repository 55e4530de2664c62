/** SystemInfo from sysconf(3), node:os and /proc. */
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { cpus, release, totalmem } from 'node:os';
import type { SystemInfo } from '@vzkit/core';
import { clockTicks, pageSize } from './syscalls.js';

export class LinuxSystemInfo implements SystemInfo {
  readonly pageSize = pageSize();
  /** Read on demand: os.cpus() parses /proc/cpuinfo and /proc/stat, a few ms most commands never need. */
  get cpus(): number {
    return (this.#cpus ??= cpus().length);
  }
  #cpus: number | undefined;
  readonly kernelRelease = release();
  readonly memTotal = totalmem();
  readonly clockTicks = clockTicks();

  async uptime(): Promise<number> {
    return Number((await readFile('/proc/uptime', 'utf8')).split(' ')[0]);
  }

  /** Read once: the kernel does not change under a running vzctl. */
  kernelConfig(): Promise<ReadonlyMap<string, string> | undefined> {
    return (this.#config ??= readKernelConfig(this.kernelRelease));
  }
  #config: Promise<ReadonlyMap<string, string> | undefined> | undefined;
}

/** `CONFIG_X=y` lines of /proc/config.gz (CONFIG_IKCONFIG_PROC), else of /boot/config-RELEASE. */
async function readKernelConfig(release: string): Promise<ReadonlyMap<string, string> | undefined> {
  let text: string | undefined;
  try {
    text = gunzipSync(await readFile('/proc/config.gz')).toString('utf8');
  } catch {
    text = await readFile(`/boot/config-${release}`, 'utf8').catch(() => undefined);
  }
  return text === undefined ? undefined : parseKernelConfig(text);
}

export function parseKernelConfig(text: string): Map<string, string> {
  const options = new Map<string, string>();
  for (const m of text.matchAll(/^(CONFIG_[A-Za-z0-9_]+)=(.*)$/gm)) options.set(m[1]!, m[2]!.replace(/^"(.*)"$/, '$1'));
  return options;
}
