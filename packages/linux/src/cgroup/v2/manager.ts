/**
 * The cgroup v2 backend: one directory per group in the unified tree, controllers
 * handed down through cgroup.subtree_control (controllers.ts), limits written through
 * the per-controller modules next to this file.
 */
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { vzError, type CgroupManager, type CgroupRef, type CgroupResources, type CgroupStats } from '@vzkit/core';
import { errnoOf, fileExists, readNow, readOptional, writeCgroupFile, type CgroupRead } from '../cgroupfs.js';
import { KeptFiles } from '../sampler.js';
import type { ResolvedGroup } from '../ref.js';
import { createRacingPrune, killPids, pruneDir, removeSubtree, subtreePids, waitEmpty, waits, type WaitOptions } from '../subtree.js';
import { enableControllers, parseControllers, V2_CONTROLLERS } from './controllers.js';
import { cpuStats, setCpu } from './cpu.js';
import { replaceDeviceProgram } from './bpf.js';
import { deviceProgram } from './device-program.js';
import { setCpuset } from './cpuset.js';
import { freeze, thaw } from './freezer.js';
import { memoryStats, setMemory } from './memory.js';
import { pidsStats, setPids } from './pids.js';
import { setIo } from './io.js';
import { parseUnifiedPath, resolveUnifiedGroup, unifiedMountRoot } from './self.js';

export interface CgroupV2Options extends WaitOptions {
  /** Where the unified tree is mounted. Default /sys/fs/cgroup. */
  root?: string;
  /** File listing the caller's cgroups, for `@self` (its `0::` line). Default /proc/self/cgroup. */
  procSelfCgroup?: string;
  /** Mount table, for the top of the mounted tree inside containers. Default /proc/self/mountinfo. */
  mountinfo?: string;
}

interface Layout {
  /** Our unified path from /proc/self/cgroup, if it has a `0::` line. */
  own: string | undefined;
  /** The cgroup the mount shows as its top. */
  mountRoot: string;
  /** The root's cgroup.controllers. */
  available: string[];
}

const isDir = (path: string) => stat(path).then((s) => s.isDirectory(), () => false);

/** A group's counters, with `read` as the way files are read; controllers without files are left out. */
function statsIn(dir: string, read: CgroupRead): CgroupStats {
  const out: CgroupStats = {};
  if (read(join(dir, 'pids.current')) !== undefined) out.pids = pidsStats(dir, read);
  if (read(join(dir, 'memory.current')) !== undefined) out.memory = memoryStats(dir, read);
  const cpu = cpuStats(dir, read);
  if (cpu !== undefined) out.cpu = cpu;
  return out;
}

export class CgroupV2Manager implements CgroupManager {
  readonly version = 2 as const;
  readonly root: string;
  readonly #procSelfCgroup: string;
  readonly #mountinfo: string;
  readonly #waits: Required<WaitOptions>;
  #layout: Promise<Layout> | undefined;

  constructor(opts: CgroupV2Options = {}) {
    this.root = resolve(opts.root ?? '/sys/fs/cgroup');
    this.#procSelfCgroup = opts.procSelfCgroup ?? '/proc/self/cgroup';
    this.#mountinfo = opts.mountinfo ?? '/proc/self/mountinfo';
    this.#waits = waits(opts);
  }

  /** Own cgroup, mount top and controllers, read once: none changes under a running vzkit. */
  #load(): Promise<Layout> {
    this.#layout ??= (async () => {
      const own = parseUnifiedPath(await readFile(this.#procSelfCgroup, 'utf8'));
      // A tree without a mount entry (a test's directory) is taken as mounted whole.
      const mountRoot = unifiedMountRoot(await readFile(this.#mountinfo, 'utf8'), this.root) ?? '/';
      const available = parseControllers((await readOptional(join(this.root, 'cgroup.controllers'))) ?? '');
      return { own, mountRoot, available };
    })().catch((e: unknown) => {
      this.#layout = undefined;
      throw vzError('SYSTEM', `cgroup v2 setup: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    });
    return this.#layout;
  }

  async #resolve(group: CgroupRef): Promise<ResolvedGroup> {
    const { own, mountRoot } = await this.#load();
    return resolveUnifiedGroup(group, this.root, own, mountRoot);
  }

  async #dir(group: CgroupRef): Promise<string> {
    return (await this.#resolve(group)).dir;
  }

  /** Controllers vzkit drives that the root of the tree offers. */
  async controllers(): Promise<string[]> {
    const { available } = await this.#load();
    return V2_CONTROLLERS.filter((c) => available.includes(c));
  }

  async exists(group: CgroupRef): Promise<boolean> {
    return isDir(await this.#dir(group));
  }

  /**
   * Creates the missing levels and hands pids, memory, cpu, cpuset and io (those available)
   * down from the base to the group's parent. subtree_control is written only in the
   * base (the tree's top or our own cgroup: the existing parent of vzkit's top
   * directory) and the levels of the ref below it, never above the base, and never in
   * the group itself, which will hold processes.
   */
  async create(group: CgroupRef): Promise<void> {
    const g = await this.#resolve(group);
    if (!(await isDir(g.base))) throw vzError('SYSTEM', `create cgroup ${group}: ${g.base} does not exist`, { errno: 'ENOENT', path: g.base });
    const { mountRoot } = await this.#load();
    // Only the real root may hold processes and hand controllers down.
    await enableControllers(g.base, V2_CONTROLLERS, group, g.base === this.root && mountRoot === '/');
    await createRacingPrune(async () => {
      let dir = g.base;
      for (const [i, segment] of g.segments.entries()) {
        dir = join(dir, segment);
        try {
          await mkdir(dir);
        } catch (e) {
          if (errnoOf(e) !== 'EEXIST') throw vzError('SYSTEM', `mkdir ${dir}: ${errnoOf(e) ?? String(e)}`, { errno: errnoOf(e), path: dir, cause: e });
        }
        if (i < g.segments.length - 1) await enableControllers(dir, V2_CONTROLLERS, group, false);
      }
    });
  }

  async attach(group: CgroupRef, pid: number): Promise<void> {
    if (!Number.isInteger(pid) || pid <= 0) throw vzError('BAD_VALUE', `attach to cgroup ${group}: invalid pid ${pid}`);
    await writeCgroupFile(join(await this.#dir(group), 'cgroup.procs'), pid);
  }

  async set(group: CgroupRef, res: CgroupResources): Promise<void> {
    const dir = await this.#dir(group);
    // A controller the parent did not hand down has no files here: say so rather than ENOENT.
    const text = await readOptional(join(dir, 'cgroup.controllers'));
    const need = (controller: string) => {
      if (text === undefined || parseControllers(text).includes(controller)) return;
      throw vzError('UNSUPPORTED', `cgroup ${group}: the ${controller} controller is not enabled for ${dir} (its cgroup.controllers: ${text.trim() || 'none'})`, { path: join(dir, 'cgroup.controllers') });
    };
    if (res.pids) {
      need('pids');
      await setPids(dir, res.pids);
    }
    if (res.memory) {
      need('memory');
      await setMemory(dir, res.memory);
    }
    if (res.cpu) {
      need('cpu');
      await setCpu(dir, res.cpu);
    }
    if (res.cpuset) {
      need('cpuset');
      await setCpuset(dir, res.cpuset);
    }
    if (res.io) {
      need('io');
      await setIo(dir, res.io, group);
    }
    if (res.devices) {
      // v2 has no devices files: the allowlist is a BPF_PROG_TYPE_CGROUP_DEVICE program.
      try {
        replaceDeviceProgram(dir, deviceProgram(res.devices.allow));
      } catch (e) {
        // A kernel without cgroup BPF (or a sandbox that forbids bpf(2)) cannot hold the list.
        throw vzError('UNSUPPORTED', `cgroup ${group}: the device allowlist program: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
    }
  }

  async stats(group: CgroupRef): Promise<CgroupStats> {
    const dir = await this.#dir(group);
    if (!(await isDir(dir))) throw vzError('SYSTEM', `stats of cgroup ${group}: ${dir}: ENOENT`, { errno: 'ENOENT', path: dir });
    return statsIn(dir, readNow);
  }

  async sample(groups: readonly CgroupRef[]): Promise<Map<CgroupRef, CgroupStats>> {
    const out = new Map<CgroupRef, CgroupStats>();
    for (const group of groups) {
      let dir = this.#sampleDirs.get(group);
      if (dir === undefined) this.#sampleDirs.set(group, (dir = await this.#dir(group)));
      try {
        // cgroup.procs exists in every group: a missing one means the group is gone.
        if (this.#kept.read(join(dir, 'cgroup.procs')) === undefined) continue;
        out.set(group, statsIn(dir, this.#kept.read));
      } catch {
        // Gone between the listing and the read (the VE stopped): not part of this pass.
      }
    }
    this.#kept.endPass(this.#sampleDirs, groups);
    return out;
  }

  readonly #kept = new KeptFiles();
  readonly #sampleDirs = new Map<CgroupRef, string>();

  /** Processes in the group and its descendants, ascending. */
  async pids(group: CgroupRef): Promise<number[]> {
    return subtreePids(await this.#dir(group));
  }

  async freeze(group: CgroupRef): Promise<void> {
    await freeze(await this.#dir(group), this.#waits.freezeTimeoutMs);
  }

  async thaw(group: CgroupRef): Promise<void> {
    await thaw(await this.#dir(group));
  }

  /**
   * Kills the subtree with cgroup.kill (5.14+), which the kernel applies to every task
   * including ones forking meanwhile, then waits for the group to empty. Without it:
   * freeze so nothing forks, SIGKILL every task, thaw, and repeat until empty.
   */
  async kill(group: CgroupRef): Promise<void> {
    const dir = await this.#dir(group);
    const first = await subtreePids(dir);
    if (first.length === 0) return;
    // Killing ourselves would end this very call.
    if (first.includes(process.pid)) {
      throw vzError('STOP_FAILED', `kill cgroup ${group}: the calling process ${process.pid} is in the group`);
    }
    const killFile = join(dir, 'cgroup.kill');
    const viaKillFile = await fileExists(killFile);
    if (viaKillFile) {
      await writeCgroupFile(killFile, 1);
    } else {
      // A group that will not freeze is still killed, just without the fork fence.
      await freeze(dir, this.#waits.freezeTimeoutMs).catch(() => undefined);
      try {
        killPids(await subtreePids(dir));
      } finally {
        await thaw(dir).catch(() => undefined);
      }
    }
    await waitEmpty(group, this.#waits.killTimeoutMs, () => subtreePids(dir), async (left) => {
      if (viaKillFile) await writeCgroupFile(killFile, 1).catch(() => undefined);
      else killPids(left);
    });
  }

  async destroy(group: CgroupRef): Promise<void> {
    await removeSubtree(await this.#dir(group), Date.now() + this.#waits.busyRetryMs);
  }

  async prune(group: CgroupRef): Promise<void> {
    await pruneDir(await this.#dir(group));
  }

  /** `unified` and every controller of the tree, all the same directory. */
  async paths(group: CgroupRef): Promise<Record<string, string>> {
    const dir = await this.#dir(group);
    const out: Record<string, string> = { unified: dir };
    for (const c of (await this.#load()).available) out[c] = dir;
    return out;
  }
}
