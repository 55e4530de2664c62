/**
 * `vzctl stop` without --fast: ask the guest's init to halt the way its init system
 * expects, then wait for it. Killing what is left is the core's job, after this.
 */
import type { HookContext, HostFs, StopOptions } from '@vzkit/core';
import { STOP_TIMEOUT } from './config.js';
import { detectInitSystem, haltMethod, stopTimeoutMs, type InitFacts, type InitSystem } from './init-system.js';

/** At most this long for `telinit 0` itself; the rest of the timeout is the halt. */
const TELINIT_TIMEOUT_MS = 10_000;

async function readInitFacts(fs: HostFs, pid: number): Promise<InitFacts> {
  const [comm, exe] = await Promise.all([
    fs.readFile(`/proc/${pid}/comm`).then((s) => s.trim(), () => undefined),
    fs.readlink(`/proc/${pid}/exe`).catch(() => undefined),
  ]);
  return { comm, exe };
}

/**
 * True when the VE has a mount namespace of its own. Without one, `telinit` inside would
 * be the host's, talking to the host's init through the shared /run/initctl (or, on a
 * systemd host, systemctl talking to the host's systemd).
 */
async function ownMountNamespace(ctx: HookContext, pid: number): Promise<boolean> {
  const [ve, host] = await Promise.all([
    ctx.host.processes.namespaceId(pid, 'mnt'),
    ctx.host.processes.namespaceId(process.pid, 'mnt'),
  ]);
  return ve !== undefined && host !== undefined && ve !== host;
}

/** Asks init to halt; false when init is already gone. */
async function askToHalt(ctx: HookContext, pid: number, system: InitSystem, deadline: number): Promise<boolean> {
  const how = haltMethod(system);
  if (how.kind === 'signal') return ctx.host.processes.signal(pid, how.signal);
  if (!(await ownMountNamespace(ctx, pid))) {
    ctx.log.debug(`the VE shares the host's mount namespace: no telinit, sending ${how.fallback} to init`);
    return ctx.host.processes.signal(pid, how.fallback);
  }
  try {
    const r = await ctx.exec({
      argv: ['telinit', '0'],
      stdio: 'pipe',
      timeoutMs: Math.max(1000, Math.min(TELINIT_TIMEOUT_MS, deadline - Date.now())),
    });
    if (r.code === 0) return true;
    ctx.log.debug(`telinit 0 exited with ${r.code}: ${(r.stderr ?? '').trim()}; sending ${how.fallback} to init`);
  } catch (e) {
    ctx.log.debug(`telinit 0 could not run (${e instanceof Error ? e.message : String(e)}); sending ${how.fallback} to init`);
  }
  return ctx.host.processes.signal(pid, how.fallback);
}

export async function haltInit(ctx: HookContext, opts: StopOptions): Promise<void> {
  const pid = ctx.ve.initPid;
  if (opts.fast || pid === undefined) return;
  const timeoutMs = stopTimeoutMs(ctx.ve.config.get(STOP_TIMEOUT), opts.timeoutMs);
  const deadline = Date.now() + timeoutMs;
  const system = detectInitSystem(await readInitFacts(ctx.host.fs, pid));
  ctx.log.debug(`init (pid ${pid}) is ${system}; asking it to halt`);
  if (!(await askToHalt(ctx, pid, system, deadline))) return;
  if (await ctx.host.processes.waitExit(pid, Math.max(0, deadline - Date.now()))) return;
  ctx.log.warn(`init did not halt within ${timeoutMs / 1000} s, killing`);
}
