/**
 * vzkitd on FakeHost: the default composition over an in-memory kernel, every path under
 * a temp root, the API on a socket in it; `call` speaks HTTP over that socket as curl
 * --unix-socket does.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRuntime, resolvePaths, type Logger, type Plugin } from '@vzkit/core';
import { FakeHost } from '@vzkit/fake-host';
import { defaultPlugins } from '@vzkit/cli';
import { HOST_BUSYBOX, BIN_APPLETS, SBIN_APPLETS, USR_BIN_APPLETS } from '@vzkit/template';
import { Daemon } from '../src/index.js';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any;
}

function fakeBusybox(): string {
  const applets = [...new Set([...BIN_APPLETS, ...SBIN_APPLETS, ...USR_BIN_APPLETS])].sort();
  return `\x7fELF\x02\x01\x01\0code\0[\0${applets.filter((a) => a !== '[').join('\0')}\0\0data`;
}

/** An lxcfs that mounts its FUSE filesystem with the views the lxcfs plugin binds. */
function installFakeLxcfs(fake: FakeHost): void {
  fake.fs.seed('/usr/bin/lxcfs', '', { mode: 0o755 });
  fake.fs.seed('/dev/fuse', '');
  fake.onDaemon('lxcfs', (_pid, argv) => {
    const mnt = argv[argv.length - 1]!;
    void fake.mounts.mount({ source: 'lxcfs', target: mnt, fstype: 'fuse.lxcfs' }).then(async () => {
      for (const f of ['proc/cpuinfo', 'proc/meminfo', 'proc/stat', 'proc/loadavg', 'proc/uptime']) {
        await fake.fs.mkdir(`${mnt}/${f.split('/')[0]}`, { recursive: true });
        await fake.fs.writeFile(`${mnt}/${f}`, `lxcfs ${f}\n`);
      }
    });
  });
}

export function call(socketPath: string, method: string, path: string, body?: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = request({ socketPath, method, path, headers: data ? { 'content-type': 'application/json' } : {} }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

export interface TestDaemon {
  root: string;
  fake: FakeHost;
  daemon: Daemon;
  socket: string;
  warnings: string[];
  call(method: string, path: string, body?: unknown): Promise<Answer>;
  /** Stops the VEs and the daemon; `keep` leaves the VEs and the root (a restart of vzkitd). */
  stop(opts?: { keep?: boolean }): Promise<void>;
}

export async function startTestDaemon(opts: { plugins?: Plugin<any, any>[]; sampleIntervalMs?: number; boot?: boolean; root?: string; fake?: FakeHost } = {}): Promise<TestDaemon> {
  const root = opts.root ?? (await mkdtemp(join(tmpdir(), 'vzkitd-test-')));
  const fake = opts.fake ?? new FakeHost();
  if (!opts.fake) {
    await fake.fs.writeFile(HOST_BUSYBOX, fakeBusybox(), { mode: 0o755 });
    installFakeLxcfs(fake);
  }
  const plugins = opts.plugins ?? defaultPlugins({});
  const warnings: string[] = [];
  const log: Logger = { info() {}, debug() {}, warn: (m) => warnings.push(m) };
  const daemon = await Daemon.start({
    root,
    env: {},
    sampleIntervalMs: opts.sampleIntervalMs ?? 3_600_000,
    boot: opts.boot ?? false,
    parallel: 2,
    log,
    compose: async ({ log: l }) => createRuntime({ host: fake, plugins, paths: resolvePaths(root), log: l, cgroupParent: '@self/vzkitd-test' }),
  });
  const socket = daemon.socketPath;
  return {
    root, fake, daemon, socket, warnings,
    call: (method, path, body) => call(socket, method, path, body),
    async stop(o = {}) {
      if (o.keep) return daemon.stop(1000);
      for (const ctid of await daemon.rt.ctids()) {
        if ((await daemon.rt.status(ctid)).running) await daemon.rt.stop(ctid, { fast: true });
      }
      await daemon.stop(1000);
      await rm(root, { recursive: true, force: true });
    },
  };
}
