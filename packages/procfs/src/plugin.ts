/**
 * procfs: what OpenVZ's kernel showed a VE about itself, served by one vzprocfs per
 * vzkit root — /proc/user_beancounters and /proc/vz/veinfo (as /dev/vz/user_beancounters
 * and /dev/vz/veinfo: procfs takes no new names), and /proc/meminfo and /proc/swaps with
 * the VE's swap limit (SWAPPAGES), which lxcfs binds from here instead of its own. Every
 * read is live and answered for the reader's own VE.
 */
import { dirname } from 'node:path';
import { definePlugin, HOST, PROC_FILES, type HookContext, type Plugin, type ProcFiles, type VeContext } from '@vzkit/core';
import { acquire, instanceFor, keepUp, register, release, serving, unavailable } from './instance.js';
import { PROC_VIEWS, ownCgroupLines, scopeDir, vzDirOps } from './plan.js';
import { vzprocfsCommand } from './command.js';
import { join } from 'node:path';

export const PROCFS_PLUGIN = '@vzkit/procfs';

export interface ProcfsOptions {
  /**
   * The command line that runs the server (`[node, .../vzprocfs.js]`): a composition's
   * tool, which the composition knows where to find. Without it the plugin does nothing.
   */
  server?: readonly string[];
}

interface ProcfsState {
  /** This VE registered with the server: its stop releases it. */
  used: boolean;
}

const instanceOf = (ve: VeContext) => instanceFor(dirname(ve.paths.runDir));

export function createProcfsPlugin(opts: ProcfsOptions = {}): Plugin<ProcfsState> {
  const server = opts.server && opts.server.length > 0 ? [...opts.server] : undefined;
  return definePlugin<ProcfsState>({
    name: PROCFS_PLUGIN,
    // /dev/vz goes into the /dev ns-fs makes; lxcfs binds /proc/meminfo and /proc/swaps
    // from here, so the server must be up before lxcfs's prepare.
    requires: ['@vzkit/ns-fs'],
    before: ['@vzkit/lxcfs'],
    commands: [vzprocfsCommand],
    provides: [{
      token: PROC_FILES,
      create: (r): ProcFiles => {
        const host = r.service(HOST);
        return {
          async sourceOf(ve, view) {
            const file = PROC_VIEWS[view];
            if (!file) return undefined;
            const inst = instanceOf(ve);
            return (await serving(host, inst, ve.ctid)) ? join(scopeDir(inst.mnt, ve.ctid), file) : undefined;
          },
        };
      },
    }],
    upkeep: {
      async tick(ctx) {
        const stale = await keepUp(ctx.host, instanceFor(ctx.paths.run), server).catch((e: unknown) => {
          ctx.log.warn(`vzprocfs of ${ctx.paths.run}: ${e instanceof Error ? e.message : String(e)}`);
          return undefined;
        });
        if (stale) {
          ctx.events.emit('warning', undefined, `vzprocfs had stopped and was started again; VEs ${stale.join(' ')} get errors reading /dev/vz and /proc/meminfo until they restart`);
        }
      },
    },
    hooks: {
      async prepare(ctx, plan) {
        const why = await unavailable(ctx.host, server);
        if (why) {
          // A composition without the server (tests, embedders) chose so: nothing to warn about.
          if (!server) ctx.log.debug(`${why}: no /dev/vz, and /proc/meminfo is lxcfs's`);
          else ctx.log.warn(`${why}: the VE gets no /dev/vz (user_beancounters, veinfo) and its /proc/meminfo shows no swap limit`);
          return;
        }
        // Recorded before the server is asked for: a vzctl killed meanwhile is undone by cleanup.
        await ctx.state.set({ used: true });
        try {
          await acquire(ctx.host, instanceOf(ctx.ve), ctx.ve.ctid, server!);
        } catch (e) {
          ctx.log.warn(`${e instanceof Error ? e.message : String(e)}: the VE gets no /dev/vz and its /proc/meminfo shows no swap limit`);
          await releaseFor(ctx);
          return;
        }
        plan.add('rootfs', ...vzDirOps(scopeDir(instanceOf(ctx.ve).mnt, ctx.ve.ctid), ctx.ve.paths.root));
      },

      async attach(ctx, pid) {
        if (!ctx.state.get()?.used) return;
        // init is in the VE's cgroup now; the lines naming it tell the server whose process reads.
        const text = await ctx.host.fs.readFile(`/proc/${pid}/cgroup`);
        await register(ctx.host, instanceOf(ctx.ve), ctx.ve.ctid, { cgroup: ctx.ve.cgroup, lines: ownCgroupLines(text, ctx.ve.ctid) });
      },

      async cleanup(ctx) {
        if (ctx.state.get()?.used) await releaseFor(ctx);
      },
    },
  });
}

async function releaseFor(ctx: HookContext<ProcfsState>): Promise<void> {
  await release(ctx.host, instanceOf(ctx.ve), ctx.ve.ctid);
  await ctx.state.clear();
}

/** The plugin without a server command: composed for its declarations (`--help`) only. */
export const procfsPlugin = createProcfsPlugin();
