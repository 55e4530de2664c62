/**
 * Running a command in vzkitd when one serves this vzkit root. Only the commands that
 * start VEs go there (`vzctl start|restart`, their lists, `set --setmode restart`,
 * `vz start|restart`): an init started by vzkitd has vzkitd's reaper for a parent, which
 * is what lets a guest's `reboot` bring its VE back (docs/vzkitd.md). The daemon runs
 * the very same command code with this command's arguments and streams its output back,
 * so the output and exit status are those of a local run. Without a daemon, or with one
 * whose settings differ from ours (VZKIT_* environment, cgroup), the command runs here.
 *
 * Kept small and free of the rest of the CLI: it is loaded before the main module.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import type { CliIo } from './io.js';

/** The environment a forwarded command must share with the daemon. */
export const FORWARDED_ENV = ['VZKIT_ROOT', 'VZKIT_CGROUP_PARENT', 'VZKIT_LOCK_WAIT_MS', 'VZKIT_TEMPLATE_CACHE', 'VZKIT_DEBIAN_MIRROR', 'VZKIT_DEBUG'] as const;

/** vzctl's global flags that take an argument (the verb comes after them). */
const GLOBAL_WITH_ARG = new Set(['--root']);

/** The socket of the vzkitd serving the vzkit root `root` ('' for the system's). */
export function daemonSocket(root: string | undefined): string {
  return join(root ?? '', '/run/vzkit/vzkitd.sock');
}

/** The verb and the --root of a vzctl command line. */
function vzctlVerb(argv: readonly string[]): { verb: string | undefined; root: string | undefined; rest: string[] } {
  let root: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--root=')) root = a.slice(7);
    else if (GLOBAL_WITH_ARG.has(a)) root = argv[++i];
    else if (!a.startsWith('-')) return { verb: a, root, rest: argv.slice(i + 1) };
  }
  return { verb: undefined, root, rest: [] };
}

/** Whether a command line starts VEs, and so belongs in the daemon. */
export function startsVes(tool: string, argv: readonly string[]): { root: string | undefined } | undefined {
  if (argv.includes('--help') || argv.includes('--version')) return undefined;
  if (tool === 'vz') return argv[0] === 'start' || argv[0] === 'restart' ? { root: undefined } : undefined;
  if (tool !== 'vzctl') return undefined;
  const { verb, root, rest } = vzctlVerb(argv);
  if (verb === 'start' || verb === 'restart') return { root };
  if (verb === 'set' && rest.some((a, i) => a === '--setmode=restart' || (a === '--setmode' && rest[i + 1] === 'restart'))) return { root };
  return undefined;
}

/** A line of the daemon's answer: output on a stream, or the exit status at the end. */
export type Frame = { o: string } | { e: string } | { exit: number };

/**
 * Runs the command in the daemon when it should; resolves with its exit status, or
 * undefined when the command is to run here (no daemon, or not one for us).
 */
export async function forwardToDaemon(tool: string, argv: readonly string[], io: CliIo, env: NodeJS.ProcessEnv = process.env): Promise<number | undefined> {
  if (env.VZKIT_NO_DAEMON === '1' || env.VZKIT_FAULT) return undefined;
  const target = startsVes(tool, argv);
  if (!target) return undefined;
  const socketPath = daemonSocket(target.root ?? env.VZKIT_ROOT);
  const body = JSON.stringify({
    tool,
    argv,
    env: Object.fromEntries(FORWARDED_ENV.flatMap((k) => (env[k] !== undefined && env[k] !== '' ? [[k, env[k]]] : []))),
    cgroup: readFileSync('/proc/self/cgroup', 'utf8'),
  });
  return new Promise((settle) => {
    let exit: number | undefined;
    let answered = false;
    let settled = false;
    const resolve = (v: number | undefined) => {
      if (!settled) {
        settled = true;
        settle(v);
      }
    };
    const req = request({ socketPath, method: 'POST', path: '/v1/cli', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      if (res.statusCode !== 200) {
        // Not for us (settings differ, an older daemon): run here.
        res.resume();
        resolve(undefined);
        return;
      }
      answered = true;
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line === '') continue;
          const f = JSON.parse(line) as Frame;
          if ('o' in f) io.stdout.write(f.o);
          else if ('e' in f) io.stderr.write(f.e);
          else exit = f.exit;
        }
      });
      const end = () => {
        if (exit !== undefined) return resolve(exit);
        io.stderr.write(`${tool}: vzkitd stopped while running the command; the next vzctl on the container finishes or undoes what it began\n`);
        resolve(1);
      };
      res.on('end', end);
      res.on('error', end);
      res.on('close', end);
    });
    // No daemon (no socket, nobody listening, not ours to use): run here.
    req.on('error', () => {
      if (!answered) resolve(undefined);
    });
    req.end(body);
  });
}
