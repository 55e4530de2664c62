/**
 * vzkitd's settings: command-line flags over `<etc>/vzkitd.conf` (shell-style KEY="value",
 * as vz.conf) over defaults. TCP is off unless LISTEN is set, and then needs TLS_CERT,
 * TLS_KEY and TOKEN_FILE: a token sent in clear, or a socket without one, is refused.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigFile, resolvePaths, vzError } from '@vzkit/core';
import { DEFAULT_PARALLEL } from '@vzkit/cli';
import type { TcpOptions } from './http/server.js';

export interface Settings {
  root: string | undefined;
  configFile: string;
  socketPath: string | undefined;
  tcp: TcpOptions | undefined;
  sampleIntervalMs: number;
  boot: boolean;
  parallel: number;
  reaper: boolean;
  help: boolean;
  version: boolean;
}

export const USAGE = `Usage: vzkitd [--root DIR] [--config FILE] [--boot] [--sample-interval SECONDS]
              [--parallel N] [--listen HOST:PORT --tls-cert FILE --tls-key FILE --token-file FILE]
              [--no-reaper]

vzkit's host daemon: JSON API on <run>/vzkitd.sock (/run/vzkit, under VZKIT_ROOT when set),
events (GET /v1/events), Prometheus metrics (GET /metrics), supervision of guest reboot
and halt, bulk operations. One per vzkit root; see docs/vzkitd.md.

  --root DIR               the vzkit root (default VZKIT_ROOT, else the system's)
  --config FILE            settings file (default <etc>/vzkitd.conf)
  --boot                   start the ONBOOT containers, once per host boot (BOOT=yes)
  --sample-interval S      seconds between samplings: events, dead inits, upkeep (SAMPLE_INTERVAL, 10)
  --parallel N             containers at once in a bulk API call (PARALLEL, ${DEFAULT_PARALLEL})
  --listen HOST:PORT       also serve HTTPS on TCP (LISTEN), with the three below
  --tls-cert FILE          PEM certificate (TLS_CERT)
  --tls-key FILE           PEM key (TLS_KEY)
  --token-file FILE        the bearer token, one line, a file only root may read (TOKEN_FILE)
  --no-reaper              run without the reaper: a guest's reboot then only stops its VE
  --version, --help`;

const FLAGS_WITH_ARG = new Set(['root', 'config', 'sample-interval', 'parallel', 'listen', 'tls-cert', 'tls-key', 'token-file', 'socket']);

function bad(message: string): Error {
  return vzError('BAD_PARAM', `vzkitd: ${message}`, { exit: 2, hint: 'see vzkitd --help' });
}

export function parseSettings(argv: readonly string[], env: NodeJS.ProcessEnv): Settings {
  const given = new Map<string, string>();
  const switches = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw bad(`unexpected argument '${a}'`);
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    if (FLAGS_WITH_ARG.has(name)) {
      const v = eq < 0 ? argv[++i] : a.slice(eq + 1);
      if (v === undefined) throw bad(`--${name} needs an argument`);
      given.set(name, v);
    } else if (['boot', 'no-reaper', 'help', 'version'].includes(name) && eq < 0) {
      switches.add(name);
    } else {
      throw bad(`unknown option --${name}`);
    }
  }
  const root = given.get('root') ?? (env.VZKIT_ROOT || undefined);
  const paths = resolvePaths(root);
  const configFile = given.get('config') ?? join(paths.etc, 'vzkitd.conf');
  let file = ConfigFile.empty();
  try {
    file = ConfigFile.parse(readFileSync(configFile, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || given.has('config')) throw bad(`cannot read ${configFile}: ${(e as Error).message}`);
  }
  const pick = (flag: string, key: string) => given.get(flag) ?? file.get(key);
  const number = (flag: string, key: string, dflt: number, min: number, max: number) => {
    const v = pick(flag, key);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) throw bad(`invalid value for --${flag} (${key}): '${v}' (${min} to ${max})`);
    return n;
  };
  const listen = pick('listen', 'LISTEN');
  let tcp: TcpOptions | undefined;
  if (listen) {
    const m = /^(.*):(\d+)$/.exec(listen);
    if (!m) throw bad(`invalid value for --listen (LISTEN): '${listen}' (HOST:PORT)`);
    const cert = pick('tls-cert', 'TLS_CERT');
    const key = pick('tls-key', 'TLS_KEY');
    const tokenFile = pick('token-file', 'TOKEN_FILE');
    if (!cert || !key || !tokenFile) throw bad('--listen needs --tls-cert, --tls-key and --token-file (TLS_CERT, TLS_KEY, TOKEN_FILE): the API is not served on TCP without TLS and a token');
    let token: string;
    try {
      if ((statSync(tokenFile).mode & 0o077) !== 0) throw bad(`${tokenFile} may be read by others than its owner: chmod 600 it`);
      token = readFileSync(tokenFile, 'utf8').trim();
    } catch (e) {
      if ((e as { code?: string }).code === 'BAD_PARAM') throw e;
      throw bad(`cannot read the token file ${tokenFile}: ${(e as Error).message}`);
    }
    if (token.length < 16) throw bad(`the token in ${tokenFile} is shorter than 16 characters`);
    tcp = { host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port: Number(m[2]), cert, key, token };
  }
  const yes = (v: string | undefined) => v === 'yes' || v === 'true' || v === '1';
  return {
    root,
    configFile,
    socketPath: given.get('socket'),
    tcp,
    sampleIntervalMs: number('sample-interval', 'SAMPLE_INTERVAL', 10, 0.2, 3600) * 1000,
    boot: switches.has('boot') || yes(file.get('BOOT')),
    parallel: number('parallel', 'PARALLEL', DEFAULT_PARALLEL, 1, 256),
    reaper: !switches.has('no-reaper'),
    help: switches.has('help'),
    version: switches.has('version'),
  };
}
