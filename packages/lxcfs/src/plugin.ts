/**
 * lxcfs: the VE's /proc tells what the VE was given, not what the host has — CPUs in
 * /proc/cpuinfo and /proc/stat (its cpuset and CPU limit), its own load average, memory
 * and swap limits in /proc/meminfo, its uptime. lxcfs files are bound over the VE's own
 * /proc files before the pivot. Without lxcfs the VE starts anyway and a warning says
 * which files show the host.
 */
import { definePlugin, featureSetting, PROC_FILES, type ChildOp, type ConfigChange, type HookContext, type ListField } from '@vzkit/core';
import { join } from 'node:path';
import { acquire, instanceFor, keepUp, release, servedViews, unavailable } from './daemon.js';
import { MEMINFO, meminfoVirtual, type Meminfo } from './config.js';
import { meminfoOp, viewBind, wantedViews } from './plan.js';
import { lxcfsError } from './errors.js';

export const LXCFS_PLUGIN = '@vzkit/lxcfs';

interface LxcfsState {
  /** This VE's /proc came from lxcfs: its stop may end the instance. */
  used: boolean;
}

/**
 * Where the VE's `view` comes from: a plugin that serves the file itself (PROC_FILES:
 * vzkit's procfs, whose /proc/meminfo has the VE's swap limit), else this lxcfs when it
 * runs and has the file.
 */
async function viewSource(ctx: HookContext, view: string, mnt: string | undefined, served?: ReadonlySet<string>): Promise<string | undefined> {
  const own = await ctx.optionalService(PROC_FILES)?.sourceOf(ctx.ve, view);
  if (own !== undefined) return own;
  if (mnt === undefined) return undefined;
  const has = served ? served.has(view) : await ctx.host.fs.exists(join(mnt, view));
  return has ? join(mnt, view) : undefined;
}

/**
 * Bind ops for the views the VE gets, from lxcfs mounted at `mnt` (undefined: lxcfs
 * does not run) which has the views `served`, or from their own server; the targets
 * exist in any procfs and sysfs.
 */
async function bindOps(ctx: HookContext, mnt: string | undefined, served?: ReadonlySet<string>): Promise<ChildOp[]> {
  const ops: ChildOp[] = [];
  // FEATURES sysfs:off leaves the VE without a /sys to bind into.
  const views = wantedViews({ sysfs: featureSetting(ctx.ve.config, 'sysfs') !== false, meminfo: meminfoVirtual(ctx.ve.config.get(MEMINFO)) });
  for (const view of views) {
    const source = await viewSource(ctx, view, mnt, served);
    if (source !== undefined) ops.push(viewBind(source, ctx.ve.paths.root, view));
  }
  return ops;
}

/**
 * The VE's load average as lxcfs computes it for its cgroup: lxcfs answers a reader by
 * the reader's cgroup, so `cat` runs on the host inside the VE's cgroups (no namespaces).
 */
async function loadAverage(ctx: HookContext<LxcfsState>): Promise<number[] | undefined> {
  const pid = ctx.ve.initPid;
  if (pid === undefined || !ctx.state.get()?.used) return undefined;
  const r = await ctx.host.launcher.exec({
    pid, namespaces: [], cgroup: ctx.ve.cgroup, argv: ['/bin/cat', join(instanceFor(ctx.ve.paths.runDir).mnt, 'proc/loadavg')],
    env: [], stdio: 'pipe', timeoutMs: 5000,
  });
  const la = (r.stdout ?? '').trim().split(/\s+/).slice(0, 3).map(Number);
  return r.code === 0 && la.length === 3 && la.every(Number.isFinite) ? la : undefined;
}

const LAVERAGE: ListField = {
  name: 'laverage',
  header: 'LAVERAGE',
  width: 14,
  needsStats: ['laverage'],
  get: (row) => {
    const la = row.stats.get('laverage')?.extra?.['avg'];
    return typeof la === 'string' ? la.split('/').map(Number) : null;
  },
  text: (row) => {
    const la = row.stats.get('laverage')?.extra?.['avg'];
    return typeof la === 'string' ? la : '-';
  },
};


/**
 * pages:N and privvmpages:N show the VE's limits, as on OpenVZ's vswap kernels; said
 * where that is not what OpenVZ's older kernels would have shown (no RAM limit: the
 * host's memory, not N pages).
 */
async function explainMeminfo(ctx: HookContext, m: Meminfo | undefined): Promise<void> {
  if (m === undefined || m.mode === 'none') return;
  const max = (await ctx.host.cgroups.stats(ctx.ve.cgroup).catch(() => undefined))?.memory?.max;
  if (max !== null && max !== undefined) return;
  ctx.log.warn(`MEMINFO ${MEMINFO.type.format(m)}: /proc/meminfo shows the VE's RAM limit (--ram), as OpenVZ's vswap kernels do; this VE has none, so it shows the host's memory`);
}

/** A live MEMINFO change: lxcfs's /proc/meminfo bound into the running VE, or taken away. */
async function changeMeminfo(ctx: HookContext<LxcfsState>, c: ConfigChange<Meminfo>): Promise<void> {
  const was = meminfoVirtual(c.before);
  const now = meminfoVirtual(c.after);
  const pid = ctx.ve.initPid;
  if (was === now || pid === undefined) return;
  const source = await viewSource(ctx, 'proc/meminfo', ctx.state.get()?.used ? instanceFor(ctx.ve.paths.runDir).mnt : undefined);
  if (source === undefined) {
    if (now) ctx.log.warn('MEMINFO: lxcfs does not serve this VE: /proc/meminfo inside shows the host\'s values');
    return;
  }
  const op = meminfoOp(source, now);
  try {
    await ctx.host.launcher.inject({ pid, namespaces: ctx.ve.idmap ? ['user', 'mnt'] : ['mnt'], ops: [op] });
  } catch (e) {
    throw lxcfsError('SET_MEMINFO', `${ctx.ve.label}: MEMINFO: ${e instanceof Error ? e.message : String(e)}`, { about: ctx.ve.label, cause: e });
  }
}

export const lxcfsPlugin = definePlugin<LxcfsState>({
  upkeep: {
    async tick(ctx) {
      const inst = instanceFor(join(ctx.paths.run, 'any'));
      const users = await keepUp(ctx.host, inst).catch((e: unknown) => {
        ctx.log.warn(`lxcfs of ${ctx.paths.run}: ${e instanceof Error ? e.message : String(e)}`);
        return undefined;
      });
      if (users) {
        ctx.events.emit('warning', undefined, `lxcfs had stopped and was started again; VEs ${users.join(' ')} get errors reading the /proc files lxcfs gave them (meminfo, cpuinfo, ...) until they restart`);
      }
    },
  },
  name: LXCFS_PLUGIN,
  configKeys: [MEMINFO],
  // The binds go over the /proc and /sys that ns-fs mounts in the VE's root.
  requires: ['@vzkit/ns-fs'],
  listFields: [LAVERAGE],
  hooks: {
    async prepare(ctx, plan) {
      const why = await unavailable(ctx.host);
      if (why) {
        // Views another plugin serves still go in.
        const ops = await bindOps(ctx, undefined);
        plan.add('rootfs', ...ops);
        const own = ops.some((o) => o.op === 'mount' && o.target.endsWith('/proc/meminfo'));
        const host = own ? '/proc/cpuinfo, /proc/stat and /proc/loadavg' : '/proc/cpuinfo, /proc/stat, /proc/meminfo and /proc/loadavg';
        ctx.log.warn(`${why}: ${host} inside show the host's values`);
        if (own) await explainMeminfo(ctx, ctx.ve.config.get(MEMINFO));
        return;
      }
      const inst = instanceFor(ctx.ve.paths.runDir);
      await ctx.state.set({ used: true });
      let pid: number;
      try {
        pid = await acquire(ctx.host, inst, ctx.ve.ctid);
      } catch (e) {
        ctx.log.warn(`${e instanceof Error ? e.message : String(e)}: /proc inside shows the host's values`);
        await ctx.state.clear();
        return;
      }
      plan.add('rootfs', ...(await bindOps(ctx, inst.mnt, await servedViews(ctx.host, inst, pid))));
      // lxcfs tracks a cgroup's load only from its first read on: init, already in its
      // cgroups, makes that read, not the first `vzlist -o laverage`.
      plan.add('rootfs', { op: 'read', path: join(inst.mnt, 'proc/loadavg') });
      await explainMeminfo(ctx, ctx.ve.config.get(MEMINFO));
    },

    async update(ctx, changes) {
      const c = changes.of(MEMINFO);
      if (!c) return;
      await changeMeminfo(ctx, c);
      await explainMeminfo(ctx, c.after);
    },

    async stats(ctx, running, want) {
      // Costs a process per VE: only for a caller that names it (vzlist -o laverage).
      if (!running || !want?.has('laverage')) return [];
      const la = await loadAverage(ctx);
      return la ? [{ resource: 'laverage', status: 'accounted', extra: { avg: la.map((x) => x.toFixed(2)).join('/') } }] : [];
    },

    async cleanup(ctx) {
      if (!ctx.state.get()?.used) return;
      await release(ctx.host, instanceFor(ctx.ve.paths.runDir), ctx.ve.ctid);
      await ctx.state.clear();
    },
  },
});
