/**
 * The cgroup v1 backend: one directory per group in each mounted hierarchy vzkit uses,
 * limits written through the per-controller modules next to this file.
 */
import { mkdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { vzError, type CgroupManager, type CgroupRef, type CgroupResources, type CgroupStats } from '@vzkit/core';
import { errnoOf, readNow, writeCgroupFile, type CgroupRead } from '../cgroupfs.js';
import { KeptFiles } from '../sampler.js';
import { V1_CONTROLLERS, v1Hierarchies, type Hierarchy } from './hierarchy.js';
import { parseProcCgroup, resolveGroup, type ResolvedGroup } from './self.js';
import { pidsStats, setPids } from './pids.js';
import { memoryStats, setMemory } from './memory.js';
import { setCpu, throttledNs } from './cpu.js';
import { cpuUsageNs } from './cpuacct.js';
import { inheritCpuset, setCpuset } from './cpuset.js';
import { freeze, thaw } from './freezer.js';
import { setDevices } from './devices.js';
import { setBlkio } from './blkio.js';
import { createRacingPrune, killPids, pruneDir, removeSubtree, subtreePids, waitEmpty, waits, type WaitOptions } from '../subtree.js';

export interface CgroupV1Options extends WaitOptions {
  /** Directory the hierarchies are mounted under; only mounts below it are used. Default /sys/fs/cgroup. */
  root?: string;
  /** File listing the caller's cgroups, for `@self`. Default /proc/self/cgroup. */
  procSelfCgroup?: string;
  /** Mount table to find the hierarchies in (mountinfo or /proc/mounts layout). Default /proc/self/mountinfo. */
  mountinfo?: string;
}

interface Layout { hierarchies: Hierarchy[]; self: Map<string, string> }
/** Where a group's counters are, per controller (undefined: not mounted). */
interface StatDirs { pids: string | undefined; memory: string | undefined; cpuacct: string | undefined; cpu: string | undefined }
interface Placed { hierarchy: Hierarchy; group: ResolvedGroup }

export class CgroupV1Manager implements CgroupManager {
  readonly version = 1 as const;
  readonly root: string;
  readonly #procSelfCgroup: string;
  readonly #mountinfo: string;
  readonly #waits: Required<WaitOptions>;
  #layout: Promise<Layout> | undefined;

  constructor(opts: CgroupV1Options = {}) {
    this.root = opts.root ?? '/sys/fs/cgroup';
    this.#procSelfCgroup = opts.procSelfCgroup ?? '/proc/self/cgroup';
    this.#mountinfo = opts.mountinfo ?? '/proc/self/mountinfo';
    this.#waits = waits(opts);
  }

  /** Mount table and own cgroups, read once: neither changes under a running vzkit. */
  #load(): Promise<Layout> {
    this.#layout ??= (async () => {
      const hierarchies = v1Hierarchies(await readFile(this.#mountinfo, 'utf8'), this.root);
      const self = parseProcCgroup(await readFile(this.#procSelfCgroup, 'utf8'));
      return { hierarchies, self };
    })().catch((e: unknown) => {
      this.#layout = undefined;
      throw vzError('SYSTEM', `cgroup v1 setup: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    });
    return this.#layout;
  }

  async #place(group: CgroupRef): Promise<Placed[]> {
    const { hierarchies, self } = await this.#load();
    return hierarchies.map((hierarchy) => ({ hierarchy, group: resolveGroup(group, hierarchy, self) }));
  }

  /** The group's directory in the hierarchy carrying `controller`, or undefined when it is not mounted. */
  async #dir(group: CgroupRef, controller: string): Promise<string | undefined> {
    return (await this.#place(group)).find((p) => p.hierarchy.controllers.includes(controller))?.group.dir;
  }

  async #needDir(group: CgroupRef, controller: string): Promise<string> {
    const dir = await this.#dir(group, controller);
    if (dir === undefined) throw vzError('UNSUPPORTED', `cgroup ${group}: the ${controller} controller is not mounted under ${this.root}`);
    return dir;
  }

  /** The pids hierarchy, else the first one: where membership is read. */
  async #primaryDir(group: CgroupRef): Promise<string | undefined> {
    const placed = await this.#place(group);
    return (placed.find((p) => p.hierarchy.controllers.includes('pids')) ?? placed[0])?.group.dir;
  }

  async controllers(): Promise<string[]> {
    const mounted = new Set((await this.#load()).hierarchies.flatMap((h) => h.controllers));
    return V1_CONTROLLERS.filter((c) => mounted.has(c));
  }

  async exists(group: CgroupRef): Promise<boolean> {
    const dir = await this.#primaryDir(group);
    if (dir === undefined) return false;
    try {
      return statSync(dir).isDirectory();
    } catch {
      return false;
    }
  }

  async create(group: CgroupRef): Promise<void> {
    const places = await this.#place(group);
    await createRacingPrune(async () => {
      for (const { hierarchy, group: g } of places) {
        let dir = g.base;
        for (const segment of g.segments) {
          dir = join(dir, segment);
          try {
            // Synchronous, like the cgroupfs writes that follow (cgroupfs.ts).
            mkdirSync(dir);
          } catch (e) {
            if (errnoOf(e) !== 'EEXIST') throw vzError('SYSTEM', `mkdir ${dir}: ${errnoOf(e) ?? String(e)}`, { errno: errnoOf(e), path: dir, cause: e });
          }
          if (hierarchy.controllers.includes('cpuset')) await inheritCpuset(dir);
        }
      }
    });
  }

  async attach(group: CgroupRef, pid: number): Promise<void> {
    if (!Number.isInteger(pid) || pid <= 0) throw vzError('BAD_VALUE', `attach to cgroup ${group}: invalid pid ${pid}`);
    for (const { group: g } of await this.#place(group)) await writeCgroupFile(join(g.dir, 'cgroup.procs'), pid);
  }

  async set(group: CgroupRef, res: CgroupResources): Promise<void> {
    if (res.pids) await setPids(await this.#needDir(group, 'pids'), res.pids);
    if (res.memory) await setMemory(await this.#needDir(group, 'memory'), res.memory);
    if (res.cpu) await setCpu(await this.#needDir(group, 'cpu'), res.cpu);
    if (res.cpuset) await setCpuset(await this.#needDir(group, 'cpuset'), res.cpuset);
    if (res.devices) await setDevices(await this.#needDir(group, 'devices'), res.devices);
    if (res.io) await setBlkio(await this.#needDir(group, 'blkio'), res.io, group);
  }

  async stats(group: CgroupRef): Promise<CgroupStats> {
    return this.#statsIn(await this.#statDirs(group), readNow);
  }

  async sample(groups: readonly CgroupRef[]): Promise<Map<CgroupRef, CgroupStats>> {
    const out = new Map<CgroupRef, CgroupStats>();
    for (const group of groups) {
      let dirs = this.#sampleDirs.get(group);
      if (!dirs) this.#sampleDirs.set(group, (dirs = await this.#statDirs(group)));
      try {
        out.set(group, this.#statsIn(dirs, this.#kept.read));
      } catch {
        // Gone between the listing and the read (the VE stopped): not part of this pass.
      }
    }
    this.#kept.endPass(this.#sampleDirs, groups);
    return out;
  }

  readonly #kept = new KeptFiles();
  readonly #sampleDirs = new Map<CgroupRef, StatDirs>();

  async #statDirs(group: CgroupRef): Promise<StatDirs> {
    return {
      pids: await this.#dir(group, 'pids'),
      memory: await this.#dir(group, 'memory'),
      cpuacct: await this.#dir(group, 'cpuacct'),
      cpu: await this.#dir(group, 'cpu'),
    };
  }

  #statsIn(dirs: StatDirs, read: CgroupRead): CgroupStats {
    const out: CgroupStats = {};
    if (dirs.pids !== undefined) out.pids = pidsStats(dirs.pids, read);
    if (dirs.memory !== undefined) out.memory = memoryStats(dirs.memory, read);
    if (dirs.cpuacct !== undefined) {
      out.cpu = { usageNs: cpuUsageNs(dirs.cpuacct, read) };
      const throttled = dirs.cpu === undefined ? undefined : throttledNs(dirs.cpu, read);
      if (throttled !== undefined) out.cpu.throttledNs = throttled;
    }
    return out;
  }

  /** Processes in the group and its descendants, ascending. */
  async pids(group: CgroupRef): Promise<number[]> {
    const dir = await this.#primaryDir(group);
    return dir === undefined ? [] : subtreePids(dir);
  }

  async freeze(group: CgroupRef): Promise<void> {
    await freeze(await this.#needDir(group, 'freezer'), this.#waits.freezeTimeoutMs);
  }

  async thaw(group: CgroupRef): Promise<void> {
    await thaw(await this.#needDir(group, 'freezer'));
  }

  /** Every process of the subtree in any hierarchy: a task may sit in some hierarchies only. */
  async #allPids(placed: Placed[]): Promise<number[]> {
    const pids = new Set<number>();
    for (const { group: g } of placed) (await subtreePids(g.dir)).forEach((p) => pids.add(p));
    return [...pids].sort((a, b) => a - b);
  }

  /**
   * Freezes the group so nothing forks while it is being killed, SIGKILLs every task,
   * thaws (frozen tasks die only once thawed), then waits for the group to empty.
   */
  async kill(group: CgroupRef): Promise<void> {
    const placed = await this.#place(group);
    const first = await this.#allPids(placed);
    if (first.length === 0) return;
    // Freezing ourselves would hang this very call.
    if (first.includes(process.pid)) {
      throw vzError('STOP_FAILED', `kill cgroup ${group}: the calling process ${process.pid} is in the group`);
    }
    const freezerDir = placed.find((p) => p.hierarchy.controllers.includes('freezer'))?.group.dir;
    if (freezerDir !== undefined) {
      // A group that will not freeze is still killed, just without the fork fence.
      await freeze(freezerDir, this.#waits.freezeTimeoutMs).catch(() => undefined);
    }
    try {
      killPids(await this.#allPids(placed));
    } finally {
      if (freezerDir !== undefined) await thaw(freezerDir).catch(() => undefined);
    }
    await waitEmpty(group, this.#waits.killTimeoutMs, () => this.#allPids(placed), killPids);
  }

  async destroy(group: CgroupRef): Promise<void> {
    let failure: unknown;
    const deadline = Date.now() + this.#waits.busyRetryMs;
    for (const { group: g } of await this.#place(group)) {
      // Try every hierarchy so one busy directory does not leave the others behind.
      await removeSubtree(g.dir, deadline).catch((e: unknown) => { failure ??= e; });
    }
    if (failure !== undefined) throw failure;
  }

  async prune(group: CgroupRef): Promise<void> {
    for (const { group: g } of await this.#place(group)) await pruneDir(g.dir);
  }

  async paths(group: CgroupRef): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const { hierarchy, group: g } of await this.#place(group)) {
      for (const c of hierarchy.controllers) out[c] = g.dir;
    }
    return out;
  }
}
