/**
 * lxcfs on FakeHost with the real ns-fs and template plugins: which of a VE's /proc
 * files are lxcfs's, one lxcfs for the VEs of a root, MEMINFO at start and live, and a
 * VE that starts without lxcfs.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRuntime, resolvePaths, type Runtime, type VzPaths } from '@vzkit/core';
import { FAKE_LXCFS_FILES, failure, FakeHost, installFakeLxcfs } from '@vzkit/fake-host';
import { nsFsPlugin } from '@vzkit/ns-fs';
import { templatePlugin } from '@vzkit/template';
import { lxcfsPlugin, MEMINFO, VIEWS, wantedViews } from '../src/index.js';

let tmp: string;
let paths: VzPaths;
let fake: FakeHost;
let rt: Runtime;
let warnings: string[];

async function created(ctid: number, values: Record<string, string> = {}): Promise<void> {
  await rt.create(ctid, { ostemplate: 'busybox', values: new Map(Object.entries(values)) });
  // The core checks VE_PRIVATE with node:fs: the fake's private area needs a real twin.
  await mkdir(join(paths.private, String(ctid)), { recursive: true });
}

/** A file as the VE's init sees it. */
const inside = async (pid: number, path: string) => (await fake.fsOf(pid).readFile(path)).toString();
const lxcfsMounts = () => fake.hostMounts().filter((m) => m.fstype === 'fuse.lxcfs');

beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'vzkit-lxcfs-'));
  paths = resolvePaths(tmp);
  fake = new FakeHost();
  fake.fs.seed('/bin/busybox', '\x7fELF busybox\0', { mode: 0o755 });
  installFakeLxcfs(fake);
  warnings = [];
  rt = createRuntime({
    host: fake, plugins: [templatePlugin, nsFsPlugin, lxcfsPlugin], paths,
    log: { info() {}, debug() {}, warn: (m) => warnings.push(m) },
  });
});

afterEach(async () => {
  for (const ctid of await rt.ctids()) if ((await rt.status(ctid)).running) await rt.stop(ctid, { fast: true });
  await rm(tmp, { recursive: true, force: true });
});

describe("the VE's /proc through lxcfs", () => {
  it('binds lxcfs files over the VE /proc; one lxcfs serves the VEs of a root and stops with the last', async () => {
    await created(101);
    await created(102);
    const a = await rt.start(101);
    await rt.start(102);
    expect(warnings).toEqual([]);
    expect(await inside(a, '/proc/cpuinfo')).toBe('lxcfs proc/cpuinfo\n');
    expect(await inside(a, '/proc/meminfo')).toBe('lxcfs proc/meminfo\n');
    expect(lxcfsMounts()).toHaveLength(1);
    await rt.stop(101, { fast: true });
    expect(lxcfsMounts()).toHaveLength(1);
    await rt.stop(102, { fast: true });
    expect(lxcfsMounts()).toHaveLength(0);
  });

  it('VEs one process starts at once, queued for the lock in the process: each is a user, one lxcfs serves them, the last stop ends it', async () => {
    const ctids = [111, 112, 113, 114];
    for (const c of ctids) await created(c);
    const pids = await Promise.all(ctids.map((c) => rt.start(c)));
    expect(warnings).toEqual([]);
    for (const pid of pids) expect(await inside(pid, '/proc/meminfo')).toBe('lxcfs proc/meminfo\n');
    expect(lxcfsMounts()).toHaveLength(1);
    await Promise.all(ctids.slice(0, 3).map((c) => rt.stop(c, { fast: true })));
    // Each VE was registered: three stops leave the fourth's lxcfs running.
    expect(lxcfsMounts()).toHaveLength(1);
    await rt.stop(114, { fast: true });
    expect(lxcfsMounts()).toHaveLength(0);
  });

  it('an lxcfs started again (perhaps another version) is asked again which views it has', async () => {
    await created(101);
    await created(102);
    const a = await rt.start(101);
    expect(await inside(a, '/proc/uptime')).toBe('lxcfs proc/uptime\n');
    // The last user's stop ends the instance; the next one offers no uptime.
    await rt.stop(101, { fast: true });
    installFakeLxcfs(fake, FAKE_LXCFS_FILES.filter((f) => f !== 'proc/uptime'));
    const b = await rt.start(102);
    expect(await inside(b, '/proc/cpuinfo')).toBe('lxcfs proc/cpuinfo\n');
    expect(await inside(b, '/proc/uptime')).not.toBe('lxcfs proc/uptime\n');
  });

  it('starts the VE with a warning when lxcfs is missing: /proc shows the host', async () => {
    await fake.fs.remove('/usr/bin/lxcfs');
    await created(101);
    const pid = await rt.start(101);
    expect(warnings).toEqual([expect.stringContaining("CT 101 [lxcfs]: lxcfs is not installed (apt-get install lxcfs): /proc/cpuinfo, /proc/stat, /proc/meminfo and /proc/loadavg inside show the host's values")]);
    expect(await inside(pid, '/proc/cpuinfo')).toMatch(/^processor/);
    expect(lxcfsMounts()).toHaveLength(0);
  });

  it('binds only the views a VE can have: no /sys view without a /sys, no meminfo for MEMINFO none', () => {
    expect(wantedViews({ sysfs: true, meminfo: true })).toEqual([...VIEWS]);
    expect(wantedViews({ sysfs: false, meminfo: false })).toEqual(VIEWS.filter((v) => v.startsWith('proc/') && v !== 'proc/meminfo'));
  });
});

describe('MEMINFO', () => {
  it("none shows the host's /proc/meminfo, from the start and live; privvmpages:N takes the lxcfs view back", async () => {
    await created(101, { MEMINFO: 'none' });
    const pid = await rt.start(101);
    expect(await inside(pid, '/proc/meminfo')).toMatch(/^MemTotal:/);
    // The other views stay lxcfs's.
    expect(await inside(pid, '/proc/cpuinfo')).toBe('lxcfs proc/cpuinfo\n');
    await rt.set(101, [{ flag: 'meminfo', arg: 'privvmpages:1' }]);
    expect(await inside(pid, '/proc/meminfo')).toBe('lxcfs proc/meminfo\n');
    await rt.set(101, [{ flag: 'meminfo', arg: 'none' }]);
    expect(await inside(pid, '/proc/meminfo')).toMatch(/^MemTotal:/);
  });

  it("pages:N on a VE without a RAM limit says that the host's memory is shown; a bad value is refused", async () => {
    await created(101, { MEMINFO: 'pages:65536' });
    await rt.start(101);
    expect(warnings).toEqual([expect.stringContaining("CT 101 [lxcfs]: MEMINFO pages:65536: /proc/meminfo shows the VE's RAM limit (--ram), as OpenVZ's vswap kernels do; this VE has none, so it shows the host's memory")]);
    expect((await failure(rt.set(101, [{ flag: 'meminfo', arg: 'pages:0' }]))).message)
      .toBe("CT 101: invalid value for MEMINFO (--meminfo): 'pages:0' is not none, pages:N or privvmpages:N (N at least 1)");
    expect(MEMINFO.type.format(MEMINFO.type.parse('privvmpages:1'))).toBe('privvmpages:1');
  });
});
