/**
 * ubc: OpenVZ's user beancounters on cgroups. Every parameter is accepted, set live,
 * mapped to the closest kernel mechanism and reported with an honest status: enforced,
 * accounted only, or unsupported here (see ./stats.ts for the list). Its tools: vzubc,
 * and for capacity planning vzsplit, vzmemcheck, vzcalc and vzcfgvalidate.
 */
import { definePlugin, isVzError, vzError, wrapError, type BarrierLimit, type HookContext } from '@vzkit/core';
import './events.js';
import { applyLive, insideOps, reachOf, type Reach } from './apply.js';
import { AVNUMPROC, UBC_KEYS, configuredLimits } from './config.js';
import { UBC_PARAMS } from './params.js';
import { UBC_FIELDS } from './fields.js';
import { planLimits, type UbcPlan } from './plan.js';
import { clampRlimits, grantable } from './grantable.js';
import { UBC_SAMPLES } from './samples.js';
import { beancounterRows, measure, mechanisms, type HostFacts, type Measured } from './stats.js';
import { procUsage } from './usage.js';
import { limitsProblem } from './validate.js';
import { vzubcCommand } from './vzubc.js';
import { vzsplitCommand } from './vzsplit.js';
import { vzmemcheckCommand } from './vzmemcheck.js';
import { vzcalcCommand } from './vzcalc.js';
import { vzcfgvalidateCommand } from './vzcfgvalidate.js';
import { UBC_METRICS } from './metrics.js';
import { ubcError } from './errors.js';

export const UBC_PLUGIN = '@vzkit/ubc';

/** Persisted while the VE runs: which of its namespaces and mounts exist for live changes. */
interface UbcState {
  reach: Reach;
}

/** In memory: the reach found while planning (for attach to persist), the last failcnt seen per resource. */
interface Slot {
  reach?: Reach;
  failcnt: Map<string, number>;
}

function slotOf(ctx: HookContext<UbcState, Slot>): Slot {
  let s = ctx.slot.get();
  if (!s) ctx.slot.set((s = { failcnt: new Map() }));
  return s;
}

async function facts(ctx: HookContext<UbcState, Slot>): Promise<HostFacts> {
  const meminfo = await ctx.host.fs.readFile('/proc/meminfo').catch(() => '');
  const swapKb = Number(/^SwapTotal:\s+(\d+) kB$/m.exec(meminfo)?.[1] ?? 0);
  return { cgroupVersion: ctx.host.cgroups.version, pageSize: ctx.host.system.pageSize, swapTotal: swapKb * 1024 };
}

/** The key behind each per-process limit. */
const RLIMIT_KEYS: Record<string, string> = { MEMLOCK: 'LOCKEDPAGES', NOFILE: 'NUMFILE', SIGPENDING: 'NUMSIGINFO' };
/** Rows that come from scanning the VE's processes in /proc. */
const SCANNED = ['numfile', 'numtcpsock', 'numothersock', 'lockedpages', 'privvmpages', 'numflock', 'numpty'];

/** vzctl's "failed to set a beancounter parameter" (exit 1), with the kernel's reason. */
function setFailed(ctx: HookContext<UbcState, Slot>, e: unknown) {
  const inner = isVzError(e) ? e : wrapError(e, 'host');
  return ubcError('UBC_SET_FAILED', `${ctx.ve.label}: setting beancounters: ${inner.message}`, {
    about: ctx.ve.label,
    cause: e, ...(inner.errno ? { errno: inner.errno } : {}), ...(inner.path ? { path: inner.path } : {}),
  });
}

export const ubcPlugin = definePlugin<UbcState, Slot>({
  name: UBC_PLUGIN,
  // It resizes the /dev/shm and devpts that ns-fs mounts.
  after: ['@vzkit/ns-fs'],
  configKeys: [...UBC_KEYS.values(), AVNUMPROC],
  listFields: UBC_FIELDS,
  commands: [vzubcCommand, vzsplitCommand, vzmemcheckCommand, vzcalcCommand, vzcfgvalidateCommand],
  reapply: [{
    flag: 'reset_ub',
    description: 'apply every beancounter of the config file again to the running container (after editing the file by hand); alone, without --save',
    keys: [...UBC_KEYS.values()].map((k) => k.name),
  }],
  samples: UBC_SAMPLES,
  metrics: UBC_METRICS,
  hooks: {
    validate(ctx) {
      const problem = limitsProblem(configuredLimits(ctx.ve.config), ctx.host.system.pageSize, ctx.ve.config.get(AVNUMPROC));
      if (problem) throw vzError('BAD_VALUE', `${ctx.ve.label}: ${problem}`, { about: ctx.ve.label });
    },

    async prepare(ctx, plan) {
      const limits = configuredLimits(ctx.ve.config);
      const up = await grantablePlan(ctx, limits);
      if (limits.size > 0) {
        try {
          await ctx.host.cgroups.set(ctx.ve.cgroup, up.cgroup);
        } catch (e) {
          throw setFailed(ctx, e);
        }
      }
      // Inherited by every process init starts: the per-process part of the beancounters.
      for (const r of up.rlimits) plan.add('final', { op: 'rlimit', resource: r.resource, soft: r.soft, hard: r.hard });
      plan.finalize((p) => {
        const reach = reachOf(p);
        slotOf(ctx).reach = reach;
        p.add('procfs', ...insideOps(up, reach, { shm: limits.has('shmpages'), pty: limits.has('numpty') }));
      });
    },

    async attach(ctx) {
      const reach = slotOf(ctx).reach ?? { ipc: false };
      await ctx.state.set({ reach });
    },

    async update(ctx, changes) {
      // ctx.ve.config is what the VE gets now (earlier unsaved changes included); `changes` say what it had.
      const after = configuredLimits(ctx.ve.config);
      const before = new Map(after);
      for (const [name, key] of UBC_KEYS) {
        const c = changes.of(key);
        if (!c) continue;
        if (c.before === undefined) before.delete(name);
        else before.set(name, c.before);
      }
      const reach = ctx.state.get()?.reach ?? { ipc: false };
      const changed = (key: string | undefined) => key !== undefined && changes.has(key);
      // Made from inside the VE: IPC sysctls and /dev/shm, devpts. Applied again (--reset_ub)
      // only where a value is or was set: an unlimited one left unlimited needs no remount.
      const setAgain = (key: string) => { const c = changes.of(key); return c !== undefined && (c.before !== undefined || c.after !== undefined); };
      const want = { shm: setAgain('SHMPAGES'), pty: setAgain('NUMPTY') };
      // Only the rlimits whose keys changed: the VE's processes may have lowered the others themselves.
      const touched = (up: UbcPlan): UbcPlan => ({ ...up, rlimits: up.rlimits.filter((r) => changed(RLIMIT_KEYS[r.resource])) });
      const next = touched(await grantablePlan(ctx, after));
      try {
        await applyLive(ctx, next, insideOps(next, reach, want));
      } catch (e) {
        // Leave the VE as it was: put the previous limits back, then report the failure.
        const prev = touched(await grantablePlan(ctx, before));
        await applyLive(ctx, prev, insideOps(prev, reach, want)).catch(() => undefined);
        throw setFailed(ctx, e);
      }
    },

    async stats(ctx, running, want) {
      if (want && !UBC_PARAMS.some((p) => want.has(p.name))) return [];
      const limits = configuredLimits(ctx.ve.config);
      const f = await facts(ctx);
      if (!running) return beancounterRows(limits, new Map(), mechanisms(f, undefined, limits));
      const stats = await ctx.host.cgroups.stats(ctx.ve.cgroup);
      const pids = await ctx.host.cgroups.pids(ctx.ve.cgroup);
      // The /proc scan is the costly part: only when a row it fills is wanted.
      const usage = want && !SCANNED.some((n) => want.has(n)) ? {} : await procUsage(ctx.host.fs, pids, ctx.ve.initPid);
      const measured = await withPeaks(ctx, measure(f, stats, usage));
      const rows = beancounterRows(limits, measured, mechanisms(f, stats, limits));
      announceFailures(ctx, rows);
      return rows;
    },
  },
});

/** The plan with rlimits lowered to what this vzctl may grant (warned about). */
async function grantablePlan(ctx: HookContext<UbcState, Slot>, limits: ReadonlyMap<string, BarrierLimit>): Promise<UbcPlan> {
  const up = planLimits(limits, ctx.host.system.pageSize);
  const { rlimits, notes } = clampRlimits(up.rlimits, await grantable(ctx.host.fs));
  for (const n of notes) ctx.log.warn(n);
  return { ...up, rlimits };
}

/**
 * Counts without a kernel peak get the highest value vzkit has seen while the VE runs,
 * kept in a scratch file of its run directory (gone when the VE stops). Readers do not lock
 * the VE, so two at once may each keep their own peak: the file holds the later one.
 */
async function withPeaks(ctx: HookContext<UbcState, Slot>, measured: Map<string, Measured>): Promise<Map<string, Measured>> {
  let seen: Record<string, number> = {};
  try {
    seen = JSON.parse((await ctx.scratch.read('peaks.json')) ?? '{}') as Record<string, number>;
  } catch {
    // A torn or foreign file: start again from what is held now.
  }
  let grew = false;
  for (const [name, m] of measured) {
    if (m.maxheld !== undefined || m.held === undefined) continue;
    const before = Number.isFinite(seen[name]) ? seen[name]! : 0;
    const peak = Math.max(m.held, before);
    if (peak !== before || !(name in seen)) grew = true;
    seen[name] = peak;
    measured.set(name, { ...m, maxheld: peak });
  }
  if (grew) await ctx.scratch.write('peaks.json', JSON.stringify(seen));
  return measured;
}

/** `ubc:failcnt` for every counter that grew since this runtime last looked. */
function announceFailures(ctx: HookContext<UbcState, Slot>, rows: ReturnType<typeof beancounterRows>): void {
  const seen = slotOf(ctx).failcnt;
  for (const r of rows) {
    if (r.failcnt === undefined) continue;
    const last = seen.get(r.resource) ?? 0;
    if (r.failcnt > last) ctx.events.emit('ubc:failcnt', ctx.ve.ctid, r.resource, r.failcnt);
    seen.set(r.resource, r.failcnt);
  }
}
