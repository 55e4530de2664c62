/** SystemInfo from sysconf(3), node:os and /proc. */
import { readFile } from 'node:fs/promises';
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
}
