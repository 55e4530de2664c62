/**
 * The vzkitd program: its settings, then (unless it already is one) its reaper's worker
 * (see ../../linux/native/reaper.c): the first process execs the reaper in its place, so
 * the pid a service manager or an admin sees is the reaper's, and the reaper runs this
 * program again as its worker with the pipe of exit reports on fd 3.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { isVzError, resolvePaths, type Logger } from '@vzkit/core';
import { VERSION } from '@vzkit/cli';
import { Daemon } from './daemon.js';
import { parseSettings, USAGE } from './options.js';

function stamp(): string {
  return new Date().toISOString();
}

const log: Logger = {
  info: (m) => process.stderr.write(`${stamp()} vzkitd: ${m}\n`),
  warn: (m) => process.stderr.write(`${stamp()} vzkitd: WARNING: ${m}\n`),
  debug: (m) => {
    if (process.env.VZKIT_DEBUG === '1') process.stderr.write(`${stamp()} vzkitd: ${m}\n`);
  },
};

/** Runs vzkitd; resolves with the exit status when it stops. */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let settings;
  try {
    settings = parseSettings(argv, env);
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    if (isVzError(e) && e.hint) process.stderr.write(`  hint: ${e.hint}\n`);
    return 2;
  }
  if (settings.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (settings.version) {
    process.stdout.write(`vzkitd version ${VERSION}\n`);
    return 0;
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write('vzkitd: must run as root (it starts and stops containers)\n');
    return 2;
  }
  const paths = resolvePaths(settings.root);
  const reaperFd = env.VZKITD_REAPER_FD;
  if (settings.reaper && reaperFd === undefined) {
    mkdirSync(paths.run, { recursive: true, mode: 0o755 });
    const { execUnderReaper } = await import('@vzkit/linux');
    // Same node flags and script, same arguments: the reaper runs this again as its worker.
    execUnderReaper(join(paths.run, 'vzkitd.pid'), [process.execPath, ...process.execArgv, process.argv[1]!, ...argv], env);
  }
  const childEnv = { ...env };
  delete childEnv.VZKITD_REAPER_FD;
  delete childEnv.VZKITD_REAPER_PID;
  let daemon: Daemon;
  try {
    daemon = await Daemon.start({
      root: settings.root,
      env: childEnv,
      ...(settings.socketPath ? { socketPath: settings.socketPath } : {}),
      ...(settings.tcp ? { tcp: settings.tcp } : {}),
      sampleIntervalMs: settings.sampleIntervalMs,
      boot: settings.boot,
      parallel: settings.parallel,
      ...(reaperFd !== undefined ? { reaperFd: Number(reaperFd), reaperPid: Number(env.VZKITD_REAPER_PID) } : {}),
      log,
    });
  } catch (e) {
    log.warn(`cannot start: ${e instanceof Error ? e.message : String(e)}`);
    return isVzError(e) && e.code === 'BAD_CONFIG' ? 2 : 1;
  }
  log.info(`serving ${daemon.socketPath}${settings.tcp ? ` and https://${settings.tcp.host}:${daemon.server.tcpPort()}` : ''} (root ${paths.prefix || '/'}, pid ${process.pid}${reaperFd !== undefined ? `, reaper ${env.VZKITD_REAPER_PID}` : ', no reaper'})`);
  return new Promise((resolve) => {
    const stop = (sig: string) => {
      log.info(`${sig}: stopping (operations in flight finish first)`);
      void daemon.stop().then(() => resolve(0), () => resolve(1));
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
