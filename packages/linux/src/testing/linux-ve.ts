/**
 * VEs on the real kernel without a root filesystem of their own: the plugins under
 * test plus a test-only plugin whose init is a host shell script. Everything lives in a
 * temp VZKIT_ROOT and below our own cgroups; `cleanup` stops, destroys and removes it all.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, statfsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRuntime, definePlugin, resolvePaths, type ExecResult, type Host, type Logger, type Plugin, type Runtime } from '@vzkit/core';
import { createLinuxHost } from '../linux-host.js';

/**
 * An init that halts on SIGUSR2 (busybox's poweroff), writing `halted` to `marker`
 * first. `wait` returns at once on a trapped signal, so the halt does not wait for sleep.
 */
export function haltingInit(marker: string): string {
  return `trap 'echo halted > ${marker}; exit 0' USR2; while :; do sleep 1 & wait $!; done`;
}

/** An init that ignores every halt request: only SIGKILL ends it. */
export const stubbornInit = "trap '' USR2 INT TERM; while :; do sleep 1 & wait $!; done";

export interface LinuxVe {
  host: Host;
  runtime: Runtime;
  dir: string;
  warnings: string[];
  /**
   * A new VE with a random high CTID, created with `values`, whose init runs `script`
   * with `shell` (default /bin/sh).
   */
  create(script: string, values?: Record<string, string>, shell?: string): Promise<number>;
  sh(ctid: number, script: string): Promise<ExecResult>;
  cleanup(): Promise<void>;
}

let hostPromise: Promise<Host> | undefined;

/** LinuxHost with the launcher built from source (an idempotent make). */
export function linuxHost(): Promise<Host> {
  hostPromise ??= (async () => {
    const native = fileURLToPath(new URL('../../native', import.meta.url));
    execFileSync('make', ['-s', '-C', native], { stdio: 'inherit' });
    return createLinuxHost({ launcherPath: join(native, 'build/vzlaunch') });
  })();
  return hostPromise;
}

export async function linuxVe(plugins: Plugin<any, any>[]): Promise<LinuxVe> {
  const host = await linuxHost();
  const dir = await mkdtemp(join(tmpdir(), 'vzkit-it-'));
  const parent = `@self/vzkit-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const scripts = new Map<number, string[]>();
  const shellInit = definePlugin({
    name: 'test-shell-init',
    hooks: {
      async create(ctx) {
        await ctx.host.fs.mkdir(ctx.ve.paths.private, { recursive: true });
      },
      async prepare(ctx, plan) {
        plan.init = { ...plan.init, argv: scripts.get(ctx.ve.ctid) ?? ['/bin/false'] };
      },
      async destroy(ctx) {
        await ctx.host.fs.remove(ctx.ve.paths.private, { recursive: true }).catch(() => undefined);
      },
    },
  });
  const warnings: string[] = [];
  const log: Logger = { info() {}, debug() {}, warn: (m) => warnings.push(m) };
  const runtime = createRuntime({ host, plugins: [...plugins, shellInit], paths: resolvePaths(dir), cgroupParent: parent, log });
  const made: number[] = [];
  return {
    host, runtime, dir, warnings,
    async create(script, values = {}, shell = '/bin/sh') {
      const ctid = 100_000 + Math.floor(Math.random() * 1_000_000_000);
      made.push(ctid);
      scripts.set(ctid, [shell, '-c', script]);
      await runtime.create(ctid, { ostemplate: 'test', values: new Map(Object.entries(values)) });
      return ctid;
    },
    sh: (ctid, script) => runtime.exec(ctid, { argv: ['/bin/sh', '-c', script], stdio: 'pipe', timeoutMs: 10_000 }),
    async cleanup() {
      try {
        for (const ctid of made.splice(0)) {
          const st = await runtime.status(ctid).catch(() => undefined);
          if (st?.running) await runtime.stop(ctid, { fast: true }).catch(() => undefined);
          await runtime.destroy(ctid).catch(() => undefined);
        }
      } finally {
        await host.cgroups.destroy(parent);
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * True on a unified cgroup v2 host with pids and memory controllers, run as root from
 * the root cgroup (the guest of scripts/vm): where `*.vm.test.ts` suites run.
 */
export function unifiedHost(root = '/sys/fs/cgroup'): boolean {
  try {
    if (process.getuid?.() !== 0 || statfsSync(root).type !== 0x63677270) return false;
    const controllers = readFileSync(join(root, 'cgroup.controllers'), 'utf8').split(/\s+/);
    return controllers.includes('pids') && controllers.includes('memory') && /^0::\/$/m.test(readFileSync('/proc/self/cgroup', 'utf8'));
  } catch {
    return false;
  }
}
