/**
 * What OpenVZ's kernel showed inside a VE, on the real kernel through the bundled tools:
 * the VE's own beancounters and veinfo line (/dev/vz, served live by vzprocfs), its RAM
 * and swap limits in /proc/meminfo, /proc/swaps and `free`, for a VE of each kind. Then
 * the server's life: one per root, killed (reads fail, they do not hang), started again
 * by the next start, gone with the last VE and after a killed vzctl.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exists, RealCli } from './real-cli.js';

const cli = new RealCli('procfs');
const vzctl = cli.vzctl.bind(cli);
const LOCAL = 2_000_000 + ((cli.base + 17) % 1000) * 65536;
const KINDS = [
  { kind: 'an unprivileged VE (the default)', ctid: cli.base, flags: [] as string[] },
  { kind: 'a VE of the host root (--local_uid 0)', ctid: cli.base + 1, flags: ['--local_uid', '0'] },
];
const OTHER = cli.base + 2;
const DEBIAN = cli.base + 3;
const FAULTED = cli.base + 4;
const SWAP_KB = 512 * 1024;

const inst = () => join(cli.root, 'run/vzkit/vzprocfs');
const serverPid = async () => Number((await readFile(join(inst(), 'vzprocfs.pid'), 'utf8')).trim());
const mountsOfServer = async () => (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').filter((l) => l.includes(' - fuse.vzprocfs ') && l.includes(cli.root));
const serverProcesses = async () => {
  const out: number[] = [];
  for (const pid of (await readdir('/proc')).filter((d) => /^\d+$/.test(d))) {
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    const env = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '');
    if (cmd.includes('vzprocfs.js') && env.includes(`VZKIT_ROOT=${cli.root}`)) out.push(Number(pid));
  }
  return out;
};

async function inside(ctid: number, cmd: string): Promise<{ code: number; out: string }> {
  const r = await vzctl(['exec2', String(ctid), `( ${cmd} ) 2>&1`]);
  return { code: r.code, out: r.stdout };
}

/** The rows of /proc/user_beancounters text, by resource: held, maxheld, barrier, limit, failcnt. */
function rows(text: string): Map<string, number[]> {
  return new Map(text.split('\n').slice(2).filter(Boolean).map((l) => {
    const f = l.replace(/^\s*\d+:/, '').trim().split(/\s+/);
    return [f[0]!, f.slice(1).map(Number)] as [string, number[]];
  }));
}

beforeAll(() => cli.setup(), 120_000);
afterAll(async () => {
  for (const id of [...KINDS.map((k) => k.ctid), OTHER, DEBIAN, FAULTED]) await cli.cleanupVe(id);
  await cli.teardown();
}, 120_000);

describe.each(KINDS)('$kind', ({ ctid, flags }) => {
  beforeAll(async () => {
    const c = await vzctl(['create', String(ctid), '--ostemplate', 'busybox', '--numproc', '40', '--ram', '256M', '--swap', '512M', ...flags]);
    expect(c.code, c.stderr).toBe(0);
    const s = await vzctl(['start', String(ctid)]);
    expect(s.code, s.stderr).toBe(0);
  }, 60_000);

  it("reads its own beancounters in OpenVZ's layout, and a fork flood under NUMPROC makes numproc's failcnt rise", async () => {
    const before = await inside(ctid, 'cat /dev/vz/user_beancounters');
    expect(before.code, before.out).toBe(0);
    const lines = before.out.trimEnd().split('\n');
    expect(lines[0]).toBe('Version: 2.5');
    expect(lines[1]).toBe('       uid  resource                     held              maxheld              barrier                limit              failcnt');
    expect(lines[2]).toMatch(new RegExp(`^ *${ctid}:  kmemsize +\\d+ +\\d+ +\\d+ +\\d+ +\\d+$`));
    expect(lines).toHaveLength(2 + 25);
    expect(lines.filter((l) => /^\s*\d+:/.test(l))).toHaveLength(1);
    const numproc = rows(before.out).get('numproc')!;
    expect(numproc.slice(2, 4)).toEqual([40, 40]);
    expect(rows(before.out).get('swappages')![3]).toBe(SWAP_KB / 4);
    // The flood: forks fail at 40 tasks; once it is over, the next read shows the refusals.
    // The shell's own status tells of its failed forks; the file is what counts.
    await inside(ctid, 'for i in $(seq 80); do sleep 2 & done 2>/dev/null; wait');
    const after = rows((await inside(ctid, 'cat /dev/vz/user_beancounters')).out).get('numproc')!;
    expect(after[4]).toBeGreaterThan(numproc[4]!);
    expect(after[1]).toBe(40);
    // vzubc on the host agrees with the file.
    const j = JSON.parse((await cli.tool('vzubc', ['-j', String(ctid)])).stdout) as Array<{ beancounters: Array<{ resource: string; failcnt: number }> }>;
    expect(j[0]!.beancounters.find((b) => b.resource === 'numproc')!.failcnt).toBe(after[4]);
  });

  it('reads its veinfo line; the files cannot be written or changed', async () => {
    expect((await inside(ctid, 'cat /dev/vz/veinfo')).out).toMatch(new RegExp(`^ *${ctid} +0 +\\d+\\n$`));
    expect((await inside(ctid, 'echo x > /dev/vz/user_beancounters')).out).toMatch(/Read-only file system/);
    expect((await inside(ctid, 'touch /dev/vz/new')).out).toMatch(/Read-only file system/);
    expect((await inside(ctid, 'ls -l /dev/vz')).out).toMatch(/^-r--r--r-- .* user_beancounters$/m);
    // Its root remounting the bind read-write (refused in a VE of the host root) changes nothing.
    expect((await inside(ctid, 'mount -o remount,bind,rw /dev/vz; echo x > /dev/vz/user_beancounters')).out).toMatch(/Read-only file system/);
    expect((await inside(ctid, 'head -1 /dev/vz/user_beancounters')).out).toBe('Version: 2.5\n');
  });

  it('sees its RAM limit as MemTotal and SWAPPAGES as SwapTotal in /proc/meminfo and /proc/swaps', async () => {
    const meminfo = (await inside(ctid, 'cat /proc/meminfo')).out;
    expect(meminfo).toMatch(/^MemTotal: +262144 kB$/m);
    expect(meminfo).toMatch(new RegExp(`^SwapTotal: +${SWAP_KB} kB$`, 'm'));
    expect((await inside(ctid, 'cat /proc/swaps')).out).toMatch(new RegExp(`^none +virtual\\t+${SWAP_KB}\\t0\\t0$`, 'm'));
    // Live: the bound file is made again at each open (64 MiB put in /dev/shm show as used).
    const free = (text: string) => Number(/^MemFree: +(\d+) kB$/m.exec(text)![1]);
    const before = free((await inside(ctid, 'cat /proc/meminfo')).out);
    const during = free((await inside(ctid, 'dd if=/dev/zero of=/dev/shm/fill bs=1M count=64 2>/dev/null; cat /proc/meminfo; rm /dev/shm/fill')).out);
    expect(before - during).toBeGreaterThan(60 * 1024);
  });
});

describe('one server for the VEs of a root', () => {
  it('shows another VE only its own rows and line', async () => {
    expect((await vzctl(['create', String(OTHER), '--ostemplate', 'busybox'])).code).toBe(0);
    expect((await vzctl(['start', String(OTHER)])).code).toBe(0);
    const text = (await inside(OTHER, 'cat /dev/vz/user_beancounters')).out;
    expect(text.match(/^\s*\d+:/gm)).toEqual([`${OTHER}:`.padStart(10)]);
    expect((await inside(OTHER, 'cat /dev/vz/veinfo')).out).toMatch(new RegExp(`^ *${OTHER} `));
    expect(await serverProcesses()).toHaveLength(1);
    expect(await mountsOfServer()).toHaveLength(1);
  });

  it('killed, it makes reads fail at once instead of hanging; the next start brings it back', async () => {
    const [a] = KINDS;
    const old = await serverPid();
    process.kill(old, 'SIGKILL');
    const t0 = Date.now();
    const dead = await inside(a!.ctid, 'cat /dev/vz/user_beancounters');
    expect(dead.code).not.toBe(0);
    expect(dead.out).toMatch(/Transport endpoint is not connected|Software caused connection abort/);
    expect(Date.now() - t0).toBeLessThan(5_000);
    // The next start of any VE starts a new server.
    expect((await vzctl(['restart', String(OTHER)])).code).toBe(0);
    expect(await serverPid()).not.toBe(old);
    expect((await inside(OTHER, 'cat /dev/vz/veinfo')).out).toMatch(new RegExp(`^ *${OTHER} `));
    expect(await serverProcesses()).toHaveLength(1);
    // A VE that kept its binds to the dead mount gets them back with its restart.
    expect((await vzctl(['restart', String(a!.ctid)])).code).toBe(0);
    expect((await inside(a!.ctid, 'cat /dev/vz/veinfo')).out).toMatch(new RegExp(`^ *${a!.ctid} `));
  }, 60_000);
});

describe.runIf(process.arch === 'x64')('a Debian VE', () => {
  it('shows SWAPPAGES as the swap total of `free`', async () => {
    const t = await cli.tool('vztmpl', ['create', 'debian-12-x86_64', '-q'], {}, 20 * 60_000);
    expect(t.code, t.stderr).toBe(0);
    expect((await vzctl(['create', String(DEBIAN), '--ostemplate', 'debian-12-x86_64', '--ram', '256M', '--swap', '512M'])).code).toBe(0);
    expect((await vzctl(['start', String(DEBIAN)])).code).toBe(0);
    const free = (await inside(DEBIAN, 'free -k')).out;
    expect(free).toMatch(/^Mem: +262144 /m);
    expect(free).toMatch(new RegExp(`^Swap: +${SWAP_KB} +0 +${SWAP_KB}$`, 'm'));
    // OpenVZ's own vzubc, as a script inside would run it, reads the file given.
    const cat = await inside(DEBIAN, 'grep -c "" /dev/vz/user_beancounters');
    expect(cat.out.trim()).toBe('27');
    expect((await vzctl(['stop', String(DEBIAN), '--fast'])).code).toBe(0);
  }, 21 * 60_000);
});

describe('when the VEs are gone', () => {
  it('a vzctl killed while it starts a VE leaves no server once the VE is cleaned up', async () => {
    expect((await vzctl(['create', String(FAULTED), '--ostemplate', 'busybox'])).code).toBe(0);
    const r = await vzctl(['start', String(FAULTED)], { VZKIT_FAULT: 'start:attach:@vzkit/procfs' });
    expect(r.signal ?? r.code).toBeTruthy();
    // The next vzctl on the VE undoes the killed start.
    expect((await vzctl(['status', String(FAULTED)])).stdout).toMatch(/down/);
    expect(await exists(join(inst(), 'users', String(FAULTED)))).toBe(false);
  });

  it('the last VE to stop takes the server, its mount and its files away', async () => {
    for (const id of [...KINDS.map((k) => k.ctid), OTHER]) expect((await vzctl(['stop', String(id), '--fast'])).code).toBe(0);
    expect(await mountsOfServer()).toEqual([]);
    expect(await serverProcesses()).toEqual([]);
    expect(await exists(inst())).toBe(false);
  });
});
