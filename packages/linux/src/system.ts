/** SystemInfo from sysconf(3), node:os and /proc. */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { cpus, endianness, release, totalmem } from 'node:os';
import type { SystemInfo } from '@vzkit/core';
import { clockTicks, landlockAbi, pageSize } from './syscalls.js';

export class LinuxSystemInfo implements SystemInfo {
  /** From the kernel's auxiliary vector (sysconf(3) reads the same), without loading koffi (koffi.ts). */
  get pageSize(): number {
    return (this.#pageSize ??= auxv(AT_PAGESZ) ?? pageSize());
  }
  #pageSize: number | undefined;
  /** Read on demand: os.cpus() parses /proc/cpuinfo and /proc/stat, a few ms most commands never need. */
  get cpus(): number {
    return (this.#cpus ??= cpus().length);
  }
  #cpus: number | undefined;
  readonly kernelRelease = release();
  readonly memTotal = totalmem();
  get clockTicks(): number {
    return (this.#clockTicks ??= auxv(AT_CLKTCK) ?? clockTicks());
  }
  #clockTicks: number | undefined;

  async uptime(): Promise<number> {
    return Number((await readFile('/proc/uptime', 'utf8')).split(' ')[0]);
  }

  /** Read once: the kernel does not change under a running vzctl. */
  kernelConfig(): Promise<ReadonlyMap<string, string> | undefined> {
    return (this.#config ??= readKernelConfig(this.kernelRelease));
  }
  #config: Promise<ReadonlyMap<string, string> | undefined> | undefined;

  async landlockAbi(): Promise<number> {
    return (this.#landlock ??= landlockAbi());
  }
  #landlock: number | undefined;
}

/** Entry types of the auxiliary vector (elf.h). */
export const AT_PAGESZ = 6;
export const AT_CLKTCK = 17;

/** This process's auxiliary vector (/proc/self/auxv), where its words are 64-bit. */
function readAuxv(): Buffer | undefined {
  if (!/64|s390x/.test(process.arch)) return undefined;
  try {
    return readFileSync('/proc/self/auxv');
  } catch {
    return undefined;
  }
}

/**
 * One value of an auxiliary vector (pairs of native 64-bit words, type then value, ended
 * by AT_NULL); undefined when it is not there, and the caller asks sysconf instead.
 */
export function auxv(type: number, raw: Buffer | undefined = readAuxv()): number | undefined {
  if (!raw) return undefined;
  const read = (at: number) => Number(endianness() === 'LE' ? raw.readBigUInt64LE(at) : raw.readBigUInt64BE(at));
  for (let at = 0; at + 16 <= raw.length; at += 16) {
    const key = read(at);
    if (key === 0) return undefined;
    if (key === type) return read(at + 8);
  }
  return undefined;
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
