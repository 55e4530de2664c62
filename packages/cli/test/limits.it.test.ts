/**
 * Default limits on the real kernel: a VE created without `--config` takes the sample
 * CONFIGFILE names (`basic`), so a fork bomb or a /dev/shm fill inside a VE nobody gave
 * limits to stays in it: fork fails at numproc (pids.max), a write to /dev/shm fails
 * with ENOSPC at shmpages (the tmpfs's size), and the host goes on. Run from a VE of
 * each kind: the host root's and a user-namespaced one.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RealCli } from './real-cli.js';

const cli = new RealCli('limits');
const vzctl = cli.vzctl.bind(cli);
/** Host range of the user-namespaced VE: no account's, unlikely another test's. */
const LOCAL = 2_000_000 + ((cli.base + 13) % 1000) * 65536;
const KINDS = [
  { kind: 'a VE of the host root', ctid: cli.base, flags: ['--local_uid', '0'] },
  { kind: 'a user-namespaced VE (--local_uid)', ctid: cli.base + 1, flags: ['--local_uid', String(LOCAL)] },
];
/** basic's limits: NUMPROC 1000, SHMPAGES 128M, NUMFILE 8192:16384, PHYSPAGES 0:512M. */
const NUMPROC = 1000;
const SHM_KB = 128 * 1024;

beforeAll(() => cli.setup(), 120_000);
afterAll(async () => {
  for (const k of KINDS) await cli.cleanupVe(k.ctid);
  await cli.teardown();
}, 120_000);

interface Counter { held: number; maxheld: number; limit: number; failcnt: number | null }

async function beancounters(ctid: number): Promise<Map<string, Counter>> {
  const r = await cli.tool('vzubc', ['-j', String(ctid)]);
  expect(r.code, r.stderr).toBe(0);
  const [ve] = JSON.parse(r.stdout) as Array<{ beancounters: Array<Counter & { resource: string }> }>;
  return new Map(ve!.beancounters.map((b) => [b.resource, b]));
}

/**
 * The host's processes in the pid namespace of `init` (the VE's), with whether each is in
 * the VE's cgroup: a bomb that got out of its VE would show up as one that is not. Counted
 * this way, not as the host's total, which other work on a shared machine moves too.
 */
async function veProcesses(init: number, cgroupName: string): Promise<{ count: number; outside: number }> {
  const ns = await readlink(`/proc/${init}/ns/pid`);
  let count = 0;
  let outside = 0;
  for (const d of (await readdir('/proc')).filter((x) => /^\d+$/.test(x))) {
    const [pidNs, cg, stat] = await Promise.all([
      readlink(`/proc/${d}/ns/pid`).catch(() => ''),
      readFile(`/proc/${d}/cgroup`, 'utf8').catch(() => ''),
      readFile(`/proc/${d}/stat`, 'utf8').catch(() => ''),
    ]);
    if (pidNs !== ns || !cg) continue;
    count++;
    // An exited, unreaped process has left its cgroups for the root's (cgroup_exit).
    if (/\) [ZX] /.test(stat)) continue;
    if (!cg.split('\n').some((l) => l.includes(`/${cgroupName}`))) outside++;
  }
  return { count, outside };
}

describe.each(KINDS)('$kind created without --config', ({ ctid, flags }) => {
  const id = String(ctid);
  const inside = async (cmd: string) => {
    const r = await vzctl(['exec2', id, `( ${cmd} ) 2>&1`]);
    return { code: r.code, out: r.stdout };
  };

  beforeAll(async () => {
    const c = await vzctl(['create', id, '--ostemplate', 'busybox', ...flags]);
    expect(c.code, c.stderr).toBe(0);
    const s = await vzctl(['start', id]);
    expect(s.code, s.stderr).toBe(0);
  }, 60_000);

  it('takes the basic sample, and its limits are in force at start', async () => {
    expect(await readFile(join(cli.root, 'etc/vzkit/conf', `${id}.conf`), 'utf8')).toMatch(/^ORIGIN_SAMPLE="basic"$/m);
    const bc = await beancounters(ctid);
    expect(bc.get('numproc')!.limit).toBe(NUMPROC);
    expect(bc.get('physpages')!.limit).toBe(512 * 256);
    expect(bc.get('shmpages')!.limit).toBe(SHM_KB / 4);
    expect((await inside('ulimit -n; ulimit -Hn')).out).toBe('8192\n16384\n');
    expect((await inside('df -k /dev/shm | tail -1')).out.trim().split(/\s+/)[1]).toBe(String(SHM_KB));
  });

  it('a /dev/shm fill: the write fails with ENOSPC at shmpages (the tmpfs size); nothing reaches the host', async () => {
    const fill = await inside('dd if=/dev/zero of=/dev/shm/fill bs=1M count=512; echo rc=$?; ls -l /dev/shm/fill');
    expect(fill.out).toMatch(/No space left on device/);
    expect(fill.out).toMatch(/rc=1/);
    const size = Number(fill.out.trim().split('\n').pop()!.trim().split(/\s+/)[4]);
    expect(size).toBeLessThanOrEqual(SHM_KB * 1024);
    expect(size).toBeGreaterThan(SHM_KB * 1024 - 2 ** 20);
    // The VE's /dev/shm is its own tmpfs: the host's has no such file.
    expect(existsSync('/dev/shm/fill')).toBe(false);
    expect((await inside('rm /dev/shm/fill && echo gone')).out).toBe('gone\n');
  });

  it('a fork bomb: fork fails inside at numproc (pids.max); the host and this process go on; the VE stops cleanly', async () => {
    const init = await cli.initPid(ctid);
    // Started in the background so it keeps forking while we look.
    expect((await vzctl(['exec', id, 'bomb() { bomb | bomb & }; (bomb) >/dev/null 2>&1 </dev/null &'])).code).toBe(0);
    let numproc: Counter | undefined;
    for (let i = 0; i < 50; i++) {
      numproc = (await beancounters(ctid)).get('numproc')!;
      if ((numproc.failcnt ?? 0) > 0 && numproc.maxheld >= NUMPROC - 10) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(numproc!.failcnt).toBeGreaterThan(0);
    expect(numproc!.maxheld).toBeLessThanOrEqual(NUMPROC);
    // While it runs: the host forks, and every process of the bomb is in the VE's cgroup, at most its limit.
    expect(execFileSync('/bin/sh', ['-c', 'echo forked']).toString()).toBe('forked\n');
    const procs = await veProcesses(init, `${cli.parent.replace(/^@self\//, '')}/${ctid}`);
    expect(procs.outside).toBe(0);
    expect(procs.count).toBeLessThanOrEqual(NUMPROC);
    const stop = await vzctl(['stop', id, '--fast']);
    expect(stop.code, stop.stderr).toBe(0);
    expect(await cli.host.cgroups.exists(`${cli.parent}/${ctid}`)).toBe(false);
  }, 60_000);
});
