import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeEnv, type Env } from './harness.js';

let env: Env;
beforeEach(async () => {
  env = await makeEnv();
});
afterEach(async () => {
  await env.cleanup();
});

const lxcfsMounts = () => env.fake.hostMounts().filter((m) => m.fstype === 'fuse.lxcfs');

describe('the VE /proc view through lxcfs', () => {
  it('binds lxcfs files over the VE /proc, and stops lxcfs with the last VE', async () => {
    expect((await env.vzctl('create', '101', '--ostemplate', 'busybox', '--cpus', '1')).code).toBe(0);
    expect((await env.vzctl('create', '102', '--ostemplate', 'busybox')).code).toBe(0);
    expect((await env.vzctl('start', '101')).stderr).toBe('');
    expect((await env.vzctl('start', '102')).code).toBe(0);
    expect((await env.vzctl('exec', '101', 'cat /proc/cpuinfo /proc/meminfo')).stdout).toBe('lxcfs proc/cpuinfo\nlxcfs proc/meminfo\n');
    // One lxcfs for every VE of the root.
    expect(lxcfsMounts()).toHaveLength(1);
    expect((await env.vzctl('stop', '101', '--fast')).code).toBe(0);
    expect(lxcfsMounts()).toHaveLength(1);
    expect((await env.vzctl('stop', '102', '--fast')).code).toBe(0);
    expect(lxcfsMounts()).toHaveLength(0);
  });

  it('starts the VE with a warning when lxcfs is missing', async () => {
    await env.fake.fs.remove('/usr/bin/lxcfs');
    expect((await env.vzctl('create', '101', '--ostemplate', 'busybox')).code).toBe(0);
    const r = await env.vzctl('start', '101');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("lxcfs is not installed (apt-get install lxcfs): /proc/cpuinfo, /proc/stat, /proc/meminfo and /proc/loadavg inside show the host's values");
    expect((await env.vzctl('exec', '101', 'cat /proc/cpuinfo')).stdout).toMatch(/^processor/);
  });
});

describe('MEMINFO', () => {
  it("none shows the host's /proc/meminfo, from the start and live; pages:N takes the lxcfs view back", async () => {
    expect((await env.vzctl('create', '101', '--ostemplate', 'busybox', '--meminfo', 'none', '--ram', '256M')).code).toBe(0);
    expect((await env.vzctl('start', '101')).code).toBe(0);
    const meminfo = async () => (await env.vzctl('exec', '101', 'cat /proc/meminfo')).stdout;
    expect(await meminfo()).toMatch(/^MemTotal:/);
    // The other views stay lxcfs's.
    expect((await env.vzctl('exec', '101', 'cat /proc/cpuinfo')).stdout).toBe('lxcfs proc/cpuinfo\n');
    expect((await env.vzctl('set', '101', '--meminfo', 'privvmpages:1')).code).toBe(0);
    expect(await meminfo()).toBe('lxcfs proc/meminfo\n');
    expect((await env.vzctl('set', '101', '--meminfo', 'none')).code).toBe(0);
    expect(await meminfo()).toMatch(/^MemTotal:/);
  });

  it('pages:N on a VE without a RAM limit says that the host\'s memory is shown; a bad value is refused', async () => {
    expect((await env.vzctl('create', '101', '--ostemplate', 'busybox', '--config', 'unlimited', '--meminfo', 'pages:65536')).code).toBe(0);
    const r = await env.vzctl('start', '101');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("MEMINFO pages:65536: /proc/meminfo shows the VE's RAM limit (--ram), as OpenVZ's vswap kernels do; this VE has none, so it shows the host's memory");
    const bad = await env.vzctl('set', '101', '--meminfo', 'pages:0');
    expect(bad.code).toBe(21);
    expect(bad.stderr).toContain("invalid value for MEMINFO (--meminfo): 'pages:0' is not none, pages:N or privvmpages:N (N at least 1)");
  });
});
