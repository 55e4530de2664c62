/**
 * vzunshare: run one command in a new PID and UTS namespace, like
 * `unshare --fork --pid --uts`, but composed from vzkit plugins: ns-pid, ns-uts and a
 * ten-line plugin of its own that makes the command the VE's init. It shows how a
 * programmer builds a runtime of just the subsystems they want with `createRuntime`.
 * @packageDocumentation
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRuntime, definePlugin, resolvePaths, type Host, type Plugin } from '@vzkit/core';
import { nsPidPlugin } from '@vzkit/ns-pid';
import { nsUtsPlugin } from '@vzkit/ns-uts';

/** A plugin that runs `argv` as the VE's init, with its output on `console`. */
export function commandPlugin(argv: string[], console: string): Plugin {
  return definePlugin({
    name: 'vzunshare/command',
    hooks: {
      async prepare(_ctx, plan) {
        plan.init = { argv, env: [`PATH=${process.env.PATH ?? '/usr/bin:/bin'}`, 'TERM=dumb'], cwd: process.cwd() };
        plan.console = console;
      },
    },
  });
}

export interface UnshareOptions {
  argv: string[];
  hostname?: string;
  host: Host;
  /** Where the command's output goes (a path the launcher opens); default this process's stdout. */
  console?: string;
  /** Cgroup parent; default a private one below the caller's own cgroup. */
  cgroupParent?: string;
}

/** Runs the command to its end and cleans up; resolves with the host pid it ran as. */
export async function unshare(opts: UnshareOptions): Promise<number> {
  const root = await mkdtemp(join(tmpdir(), 'vzunshare-'));
  const ctid = 1 + (process.pid % 2_000_000_000);
  const runtime = createRuntime({
    host: opts.host,
    plugins: [nsPidPlugin, nsUtsPlugin, commandPlugin(opts.argv, opts.console ?? `/proc/${process.pid}/fd/1`)],
    paths: resolvePaths(root),
    cgroupParent: opts.cgroupParent ?? `@self/vzunshare-${process.pid}`,
  });
  try {
    const values = new Map<string, string>();
    if (opts.hostname) values.set('HOSTNAME', opts.hostname);
    await runtime.create(ctid, { values });
    const pid = await runtime.start(ctid);
    while (!(await opts.host.processes.waitExit(pid, 60_000))) { /* still running */ }
    // Reconciles: the VE whose init ended is cleaned up (cgroup removed, state dropped).
    await runtime.status(ctid);
    await runtime.destroy(ctid);
    return pid;
  } finally {
    if ((await runtime.status(ctid)).running) await runtime.stop(ctid, { fast: true });
    if ((await runtime.ctids()).includes(ctid)) await runtime.destroy(ctid);
    await rm(root, { recursive: true, force: true });
  }
}
