/**
 * `vz start`'s first step where vz.conf says `VZKITD="yes"`: bring up vzkitd unless it
 * answers already, so that the VEs started next are its children (a guest's reboot then
 * restarts its VE) and the host has its API, events and metrics from boot. Under systemd,
 * contrib/vzkitd.service starts it before vzkit.service instead, and this finds it up.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigFile } from '@vzkit/core';
import { daemonSocket } from './forward.js';
import type { CliIo } from './io.js';

/** How long `vz start` waits for a vzkitd it started to answer. */
const START_WAIT_MS = 15_000;

/** True when a vzkitd answers on `socketPath`. */
export function daemonAnswers(socketPath: string): Promise<boolean> {
  return new Promise((done) => {
    const req = request({ socketPath, method: 'GET', path: '/v1' }, (res) => {
      res.resume();
      done(res.statusCode === 200);
    });
    req.on('error', () => done(false));
    req.setTimeout(2000, () => {
      req.destroy();
      done(false);
    });
    req.end();
  });
}

/** The vzkitd program: beside this checkout's CLI bundle, else on PATH. */
function vzkitdCommand(): string[] {
  const sibling = resolve(dirname(process.argv[1] ?? '.'), '../../vzkitd/dist/vzkitd.js');
  if (existsSync(sibling)) return [process.execPath, sibling];
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const p = join(dir, 'vzkitd');
    try {
      accessSync(p, constants.X_OK);
      return [p];
    } catch {
      // not here
    }
  }
  return [];
}

/** Starts vzkitd when vz.conf asks for it and none answers; a failure is a warning, not the end of `vz start`. */
export async function ensureDaemon(io: CliIo, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (env.VZKIT_NO_DAEMON === '1') return;
  const root = env.VZKIT_ROOT ?? '';
  let wanted = false;
  try {
    wanted = ConfigFile.parse(readFileSync(join(root, '/etc/vzkit/vz.conf'), 'utf8')).get('VZKITD') === 'yes';
  } catch {
    return;
  }
  if (!wanted) return;
  const socketPath = daemonSocket(root);
  if (await daemonAnswers(socketPath)) return;
  const cmd = vzkitdCommand();
  if (cmd.length === 0) {
    io.stderr.write('vz: WARNING: vz.conf has VZKITD="yes" but vzkitd is not installed; starting the containers without it\n');
    return;
  }
  mkdirSync(join(root, '/run/vzkit'), { recursive: true, mode: 0o755 });
  const log = openSync(join(root, '/run/vzkit/vzkitd.log'), 'a', 0o600);
  const child = spawn(cmd[0]!, cmd.slice(1), { detached: true, stdio: ['ignore', log, log], env });
  child.unref();
  const deadline = Date.now() + START_WAIT_MS;
  while (Date.now() < deadline) {
    if (await daemonAnswers(socketPath)) return;
    await sleep(100);
  }
  io.stderr.write(`vz: WARNING: vzkitd did not answer on ${socketPath} within ${START_WAIT_MS / 1000} s (see ${join(root, '/run/vzkit/vzkitd.log')}); starting the containers without it\n`);
}
