/**
 * Drives vzctl and vzlist as an administrator would, on a runtime composed of the default
 * plugins (plus a demo plugin) over FakeHost, with every vzkit path under a temp dir.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createRuntime, resolvePaths, type Plugin } from '@vzkit/core';
import { FakeHost, installFakeLxcfs } from '@vzkit/fake-host';
import { HOST_BUSYBOX, BIN_APPLETS, SBIN_APPLETS, USR_BIN_APPLETS } from '@vzkit/template';
import { defaultPlugins, runTool, runVzctl, runVzlist, type CliIo, type RuntimeFactory } from '../src/index.js';
import { demoPlugin } from './demo-plugin.js';

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** A busybox binary as the template builder reads it: bytes, then the applet name table. */
function fakeBusybox(): string {
  const applets = [...new Set([...BIN_APPLETS, ...SBIN_APPLETS, ...USR_BIN_APPLETS])].sort();
  return `\x7fELF\x02\x01\x01\0code\0[\0${applets.filter((a) => a !== '[').join('\0')}\0\0data`;
}

export interface Env {
  root: string;
  fake: FakeHost;
  factory: RuntimeFactory;
  vzctl(...argv: string[]): Promise<Run>;
  /** vzctl with text on stdin. */
  vzctlIn(input: string, ...argv: string[]): Promise<Run>;
  vzlist(...argv: string[]): Promise<Run>;
  tool(name: string, ...argv: string[]): Promise<Run>;
  /** A tool with text on stdin. */
  toolIn(input: string, name: string, ...argv: string[]): Promise<Run>;
  /** A tool whose stdout is a terminal (it may run screen programs such as top). */
  toolTty(name: string, ...argv: string[]): Promise<Run>;
  confPath(ctid: number): string;
  conf(ctid: number): Promise<string>;
  cleanup(): Promise<void>;
}

export async function makeEnv(opts: { plugins?: Plugin<any, any>[] } = {}): Promise<Env> {
  const root = await mkdtemp(join(tmpdir(), 'vzkit-cli-'));
  const fake = new FakeHost();
  await fake.fs.writeFile(HOST_BUSYBOX, fakeBusybox(), { mode: 0o755 });
  installFakeLxcfs(fake);
  const plugins = opts.plugins ?? [...defaultPlugins(), demoPlugin];
  const factory: RuntimeFactory = async (req) =>
    createRuntime({ host: fake, plugins, paths: resolvePaths(req.root ?? root), log: req.log, cgroupParent: '@self/vzkit-cli-test' });
  const drive = async (fn: (io: CliIo) => Promise<number>, input = '', stdoutIsTTY = false): Promise<Run> => {
    let stdout = '';
    let stderr = '';
    const io: CliIo = {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
      stdin: Readable.from([input]),
      isTTY: false,
      stdoutIsTTY,
    };
    const code = await fn(io);
    return { code, stdout, stderr };
  };
  const confPath = (ctid: number) => join(root, 'etc/vzkit/conf', `${ctid}.conf`);
  return {
    root,
    fake,
    factory,
    vzctl: (...argv) => drive((io) => runVzctl(argv, io, factory)),
    vzctlIn: (input, ...argv) => drive((io) => runVzctl(argv, io, factory), input),
    vzlist: (...argv) => drive((io) => runVzlist(argv, io, factory)),
    tool: (name, ...argv) => drive((io) => runTool(name, argv, io, factory)),
    toolIn: (input, name, ...argv) => drive((io) => runTool(name, argv, io, factory), input),
    toolTty: (name, ...argv) => drive((io) => runTool(name, argv, io, factory), '', true),
    confPath,
    conf: (ctid) => readFile(confPath(ctid), 'utf8'),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}
