/**
 * vzprocfs on FakeHost with the real template, ns-fs, ns-pid, ubc and lxcfs plugins: the server
 * is the fake daemon `vzprocfs`, which serves the plugin's own files from the same
 * runtime through the fake kernel's FUSE, so a VE's process reading /dev/vz or
 * /proc/meminfo reaches the server as its host pid, as on Linux.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRuntime, resolvePaths, type Runtime, type VzPaths } from '@vzkit/core';
import { errnoOf, FakeHost, installFakeLxcfs } from '@vzkit/fake-host';
import { nsFsPlugin } from '@vzkit/ns-fs';
import { nsPidPlugin } from '@vzkit/ns-pid';
import { templatePlugin } from '@vzkit/template';
import { ubcPlugin } from '@vzkit/ubc';
import { lxcfsPlugin } from '@vzkit/lxcfs';
import { createProcfsPlugin, FS_NAME, instanceFor, procfsFiles } from '../src/index.js';

const SERVER = ['/usr/lib/vzkit/vzprocfs'];
let tmp: string;
let paths: VzPaths;
let fake: FakeHost;
let rt: Runtime;
let warnings: string[];
/** Pids of the fake servers started, in order. */
let servers: number[];

function compose(server: readonly string[] | null = SERVER, hostOptions = {}): void {
  fake = new FakeHost(hostOptions);
  fake.fs.seed('/bin/busybox', '\x7fELF busybox\0', { mode: 0o755 });
  installFakeLxcfs(fake);
  warnings = [];
  servers = [];
  rt = createRuntime({
    host: fake, plugins: [templatePlugin, nsFsPlugin, nsPidPlugin, ubcPlugin, lxcfsPlugin, createProcfsPlugin(server ? { server } : {})], paths,
    log: { info() {}, debug() {}, warn: (m) => warnings.push(m) },
  });
  // What `vzprocfs` does: serve the root's instance from its own process.
  fake.onDaemon('vzprocfs', (pid) => {
    servers.push(pid);
    const inst = instanceFor(paths.run);
    void fake.fuseOf(pid).serve(inst.mnt, procfsFiles(rt, inst), { name: FS_NAME });
  });
}

async function created(ctid: number, values: Record<string, string> = {}): Promise<void> {
  await rt.create(ctid, { ostemplate: 'busybox', config: 'bare', values: new Map(Object.entries(values)) });
  await mkdir(join(paths.private, String(ctid)), { recursive: true });
}

const inside = (pid: number, path: string) => fake.fsOf(pid).readFile(path);
const served = () => fake.hostMounts().filter((m) => m.fstype === `fuse.${FS_NAME}`);
const group = (ctid: number) => `vzkit/${ctid}`;

beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'vzkit-procfs-'));
  paths = resolvePaths(tmp);
  await mkdir(paths.confDir, { recursive: true });
  await import('node:fs/promises').then((fs) => fs.writeFile(join(paths.confDir, 've-bare.conf-sample'), '# no beancounters\n'));
  compose();
});

afterEach(async () => {
  for (const ctid of await rt.ctids()) if ((await rt.status(ctid)).running) await rt.stop(ctid, { fast: true });
  await rm(tmp, { recursive: true, force: true });
});

describe('/dev/vz inside a VE', () => {
  it("shows the VE's own beancounters in OpenVZ's layout, live: a failcnt that grows shows at the next read", async () => {
    await created(101, { NUMPROC: '100:100', PHYSPAGES: '0:64M', SWAPPAGES: '0:128M' });
    const pid = await rt.start(101);
    expect(warnings).toEqual([]);
    const first = await inside(pid, '/dev/vz/user_beancounters');
    const lines = first.trimEnd().split('\n');
    expect(lines[0]).toBe('Version: 2.5');
    expect(lines[1]).toBe('       uid  resource                     held              maxheld              barrier                limit              failcnt');
    expect(lines[2]).toMatch(/^ {6}101: {2}kmemsize +\d+ +\d+ +9223372036854775807 +9223372036854775807 +0$/);
    expect(lines).toHaveLength(2 + 25);
    const numproc = (text: string) => text.split('\n').find((l) => l.trim().startsWith('numproc'))!.trim().split(/\s+/);
    expect(numproc(first)).toEqual(['numproc', '1', expect.stringMatching(/^\d+$/), '100', '100', '0']);
    fake.cgroups.bumpFailcnt(group(101), 'pids', 7);
    expect(numproc(await inside(pid, '/dev/vz/user_beancounters'))[5]).toBe('7');
    expect(await inside(pid, '/dev/vz/veinfo')).toBe(`       101     0     1\n`);
  });

  it('gives each VE its own rows only; one server serves the VEs of a root and stops with the last', async () => {
    await created(101);
    await created(102);
    const a = await rt.start(101);
    const b = await rt.start(102);
    expect((await inside(a, '/dev/vz/user_beancounters')).match(/^ +\d+:/gm)).toEqual(['      101:']);
    expect((await inside(b, '/dev/vz/user_beancounters')).match(/^ +\d+:/gm)).toEqual(['      102:']);
    expect(await inside(b, '/dev/vz/veinfo')).toMatch(/^ {7}102 /);
    expect(served()).toHaveLength(1);
    expect(servers).toHaveLength(1);
    // The host's root reading the server's own mount sees every VE, as on OpenVZ's host.
    const all = await fake.fs.readFile(join(instanceFor(paths.run).mnt, 'vz/user_beancounters'));
    expect(all.match(/^ +\d+:/gm)).toEqual(['      101:', '      102:']);
    await rt.stop(101, { fast: true });
    expect(served()).toHaveLength(1);
    await rt.stop(102, { fast: true });
    expect(served()).toHaveLength(0);
    expect(fake.process(servers[0]!)?.alive).toBe(false);
    expect(await fake.fs.exists(instanceFor(paths.run).dir)).toBe(false);
  });

  it('VEs one process starts at once, queued for the lock in the process: one server, each VE its own rows, the last stop ends it', async () => {
    const ctids = [111, 112, 113, 114];
    for (const c of ctids) await created(c);
    const pids = await Promise.all(ctids.map((c) => rt.start(c)));
    expect(servers).toHaveLength(1);
    expect(served()).toHaveLength(1);
    for (const [i, pid] of pids.entries()) {
      expect((await inside(pid, '/dev/vz/user_beancounters')).match(/^ +\d+:/gm)).toEqual([`      ${ctids[i]}:`]);
    }
    await Promise.all(ctids.slice(0, 3).map((c) => rt.stop(c, { fast: true })));
    expect(served()).toHaveLength(1);
    await rt.stop(114, { fast: true });
    expect(served()).toHaveLength(0);
  });

  it("knows a VE at its first read even when the registry was read a moment before it registered", async () => {
    await created(101);
    await created(102);
    const a = await rt.start(101);
    // This read makes the server read its registry, with 101 alone in it.
    await inside(a, '/dev/vz/veinfo');
    const b = await rt.start(102);
    expect(await inside(b, '/dev/vz/veinfo')).toMatch(/^ {7}102 /);
  });

  it("never gives a VE's uid 0 the host's view: a process in no VE it knows gets it only from the host's PID namespace", async () => {
    await created(101, { LOCAL_UID: '0' });
    const pid = await rt.start(101);
    // A server whose registry does not list the VE (not read yet, or gone) asked by its root.
    const files = procfsFiles(rt, instanceFor(join(tmp, 'no-registry')));
    const refusal = await files.open('vz/user_beancounters', { pid, uid: 0, gid: 0 }).catch((e: unknown) => e);
    expect((refusal as { errno?: string }).errno).toBe('EACCES');
    // The host's root, in the host's PID namespace, reads what the registry lists (nothing here).
    expect((await files.open('vz/user_beancounters', { pid: fake.selfPid, uid: 0, gid: 0 })).data).toBe('Version: 2.5\n       uid  resource                     held              maxheld              barrier                limit              failcnt\n');
    // Anyone else on the host gets nothing.
    const user = await files.open('vz/veinfo', { pid: fake.selfPid, uid: 1000, gid: 1000 }).catch((e: unknown) => e);
    expect((user as { errno?: string }).errno).toBe('EACCES');
  });

  it("binds each VE's files from its own copy; a VE's process cannot open another's copy, the host's root can", async () => {
    await created(101);
    await created(102);
    const a = await rt.start(101);
    await rt.start(102);
    const inst = instanceFor(paths.run);
    const files = procfsFiles(rt, inst);
    const refusal = await files.open('vz/veinfo', { pid: a, uid: 0, gid: 0 }, '102').catch((e: unknown) => e);
    expect((refusal as { errno?: string }).errno).toBe('EACCES');
    expect((await files.open('vz/veinfo', { pid: fake.selfPid, uid: 0, gid: 0 }, '102')).data).toMatch(/^ {7}102 /);
    expect(await fake.fs.readFile(join(inst.mnt, 've/101/vz/veinfo'))).toMatch(/^ {7}101 /);
    // Only registered VEs have a copy.
    expect(await files.scopes!.exists('103')).toBe(false);
    expect(await files.scopes!.exists('101')).toBe(true);
  });

  it('cannot be written, made or removed inside', async () => {
    await created(101);
    const pid = await rt.start(101);
    const fs = fake.fsOf(pid);
    for (const attempt of [
      () => fs.writeFile('/dev/vz/user_beancounters', 'x'),
      () => fs.writeFile('/dev/vz/new', 'x'),
      () => fs.remove('/dev/vz/veinfo'),
    ]) expect(errnoOf(await attempt().then(() => undefined, (e: unknown) => e))).toBe('EROFS');
  });
});

describe('/proc/meminfo and /proc/swaps', () => {
  it('show the RAM limit as MemTotal and SWAPPAGES as SwapTotal, with the swap in use', async () => {
    await created(101, { PHYSPAGES: '0:256M', SWAPPAGES: '0:512M' });
    const pid = await rt.start(101);
    fake.cgroups.setUsage(group(101), { memory: 64 * 2 ** 20, swap: 32 * 2 ** 20 });
    const meminfo = await inside(pid, '/proc/meminfo');
    expect(meminfo).toContain(`MemTotal:         262144 kB\n`);
    expect(meminfo).toContain(`MemFree:          196608 kB\n`);
    expect(meminfo).toContain(`SwapTotal:        524288 kB\n`);
    expect(meminfo).toContain(`SwapFree:         491520 kB\n`);
    expect(await inside(pid, '/proc/swaps')).toBe(`Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\nnone${' '.repeat(36)}virtual\t\t524288\t32768\t0\n`);
    // The other views stay lxcfs's.
    expect(await inside(pid, '/proc/cpuinfo')).toBe('lxcfs proc/cpuinfo\n');
  });

  it("MEMINFO none leaves the host's /proc/meminfo, also after a live change", async () => {
    await created(101, { PHYSPAGES: '0:256M', SWAPPAGES: '0:512M', MEMINFO: 'none' });
    const pid = await rt.start(101);
    expect(await inside(pid, '/proc/meminfo')).toContain(`MemTotal:${String(8 * 2 ** 20).padStart(16)} kB`);
    await rt.set(101, [{ flag: 'meminfo', arg: 'privvmpages:1' }]);
    expect(await inside(pid, '/proc/meminfo')).toContain('SwapTotal:        524288 kB');
    await rt.set(101, [{ flag: 'meminfo', arg: 'none' }]);
    expect(await inside(pid, '/proc/meminfo')).toContain(`MemTotal:${String(8 * 2 ** 20).padStart(16)} kB`);
  });

  it('come from vzprocfs even where lxcfs is missing', async () => {
    await fake.fs.remove('/usr/bin/lxcfs');
    await created(101, { PHYSPAGES: '0:256M', SWAPPAGES: '0:512M' });
    const pid = await rt.start(101);
    expect(warnings).toEqual([expect.stringContaining("lxcfs is not installed (apt-get install lxcfs): /proc/cpuinfo, /proc/stat and /proc/loadavg inside show the host's values")]);
    expect(await inside(pid, '/proc/meminfo')).toContain('SwapTotal:        524288 kB');
  });
});

describe('when the server dies', () => {
  it('reads fail with ENOTCONN instead of hanging; the next start brings a new server', async () => {
    await created(101);
    await created(102);
    const a = await rt.start(101);
    await fake.processes.signal(servers[0]!, 'SIGKILL');
    expect(errnoOf(await inside(a, '/dev/vz/user_beancounters').catch((e: unknown) => e))).toBe('ENOTCONN');
    const b = await rt.start(102);
    expect(servers).toHaveLength(2);
    expect(served()).toHaveLength(1);
    expect(await inside(b, '/dev/vz/user_beancounters')).toMatch(/^ {6}102: {2}kmemsize/m);
    // 101 keeps its binds to the dead mount until it restarts.
    expect(errnoOf(await inside(a, '/dev/vz/veinfo').catch((e: unknown) => e))).toBe('ENOTCONN');
    const a2 = await rt.restart(101, { fast: true });
    expect(await inside(a2, '/dev/vz/veinfo')).toMatch(/^ {7}101 /);
  });

  it("vzkitd's upkeep starts it again while VEs use it, and says which VEs to restart", async () => {
    await created(101);
    await rt.start(101);
    await fake.processes.signal(servers[0]!, 'SIGKILL');
    const said: string[] = [];
    rt.events.on('warning', (_ctid, m) => said.push(m));
    const plugin = rt.plugins.find((p) => p.name === '@vzkit/procfs')!;
    await plugin.upkeep!.tick({ host: fake, paths, events: rt.events, log: { info() {}, debug() {}, warn: (m) => warnings.push(m) } });
    expect(servers).toHaveLength(2);
    expect(said).toEqual([expect.stringContaining('vzprocfs had stopped and was started again; VEs 101 get errors')]);
    await plugin.upkeep!.tick({ host: fake, paths, events: rt.events, log: { info() {}, debug() {}, warn: (m) => warnings.push(m) } });
    expect(servers).toHaveLength(2);
  });
});

describe('without a server', () => {
  it('the VE starts without /dev/vz and keeps lxcfs /proc/meminfo, silently where the composition has none', async () => {
    compose(null);
    await created(101);
    const pid = await rt.start(101);
    expect(warnings).toEqual([]);
    expect(await fake.fsOf(pid).exists('/dev/vz')).toBe(false);
    expect(await inside(pid, '/proc/meminfo')).toBe('lxcfs proc/meminfo\n');
  });

  it('warns where the host has no /dev/fuse', async () => {
    await fake.fs.remove('/dev/fuse');
    await fake.fs.remove('/usr/bin/lxcfs');
    await created(101);
    await rt.start(101);
    expect(warnings).toEqual(expect.arrayContaining([expect.stringContaining('CT 101 [procfs]: the host has no /dev/fuse: the VE gets no /dev/vz (user_beancounters, veinfo)')]));
  });
});
