/**
 * The launcher the VE cannot touch (issue 17, finding 2; runc's CVE-2019-5736): root
 * inside a VE runs a catcher (fixtures/launcher-catcher.c) that scans /proc and goes
 * after every process appearing while the host runs 200 `vzctl exec`: it opens
 * /proc/PID/exe read-only and read-write (and would open again for writing whatever it
 * got), and attaches with PTRACE_ATTACH and PTRACE_SEIZE. It must never get hold of the
 * launcher: not the host's file (compared by device and inode), not its sealed copy, not
 * the process. What stops it, in a VE of each kind:
 *
 *  - the launcher runs from a sealed memfd copy of itself, so /proc/PID/exe never leads
 *    to the host's file (cloned.c);
 *  - it is not dumpable, so only CAP_SYS_PTRACE in the host's user namespace could reach
 *    it: an unprivileged VE's root never has that, a VE of the host root has it dropped;
 *  - in a VE of the host root, it is in a Landlock domain of its own, which the VE's
 *    processes cannot ptrace into;
 *  - and it takes the VE's capabilities, seccomp filter and Landlock domain before it
 *    forks the process that enters the VE's pid namespace, so nothing in there ever holds
 *    more than the VE's root.
 */
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RealCli } from './real-cli.js';

const cli = new RealCli('catcher');
const vzctl = cli.vzctl.bind(cli);
const catcherSource = fileURLToPath(new URL('./fixtures/launcher-catcher.c', import.meta.url));
const launcherBinary = fileURLToPath(new URL('../../linux/native/build/vzlaunch', import.meta.url));
/** Host range of the unprivileged VE: no account's, unlikely another test's. */
const LOCAL = 2_000_000 + ((cli.base + 17) % 1000) * 65536;
const EXECS = 200;

const VARIANTS = [
  { kind: 'a VE of the host root', ctid: cli.base, flags: ['--local_uid', '0'], stops: 'memfd copy, not dumpable, no sys_ptrace, Landlock domain' },
  { kind: 'an unprivileged VE (--local_uid)', ctid: cli.base + 1, flags: ['--local_uid', String(LOCAL)], stops: 'memfd copy, not dumpable, user namespace' },
];

beforeAll(async () => {
  await cli.setup();
  execFileSync('cc', ['-static', '-O2', '-o', join(cli.root, 'launcher-catcher'), catcherSource]);
  for (const v of VARIANTS) {
    const c = await vzctl(['create', String(v.ctid), '--ostemplate', 'busybox', ...v.flags]);
    expect(c.code, c.stderr).toBe(0);
    const bin = join(cli.root, 'var/lib/vzkit/private', String(v.ctid), 'fs/usr/local/bin');
    await mkdir(bin, { recursive: true });
    await copyFile(join(cli.root, 'launcher-catcher'), join(bin, 'launcher-catcher'));
    expect((await vzctl(['start', String(v.ctid)])).code).toBe(0);
  }
}, 120_000);
afterAll(async () => {
  for (const v of VARIANTS) await cli.cleanupVe(v.ctid);
  await cli.teardown();
}, 120_000);

describe.each(VARIANTS)('a catcher in $kind during 200 vzctl exec', ({ ctid, stops }) => {
  it(`never opens the launcher's file nor attaches to it (${stops})`, async () => {
    const id = String(ctid);
    const started = await vzctl(['exec', id, 'rm -f /tmp/catcher.stop; /usr/local/bin/launcher-catcher 600 /tmp/catcher.stop > /tmp/catcher.log 2>&1 &']);
    expect(started.code, started.stderr).toBe(0);
    await expect.poll(async () => (await vzctl(['exec', id, 'cat /tmp/catcher.log'])).stdout, { timeout: 10_000 }).toMatch(/^SELFCHECK/m);

    // The launcher's relay, wait and report still work: every exit status comes back.
    for (let i = 0; i < EXECS; i++) {
      const r = await vzctl(['exec2', id, i % 2 ? 'true' : 'exit 3']);
      expect(r.code, r.stderr).toBe(i % 2 ? 0 : 3);
    }

    expect((await vzctl(['exec', id, 'touch /tmp/catcher.stop'])).code).toBe(0);
    // It stops at once; then, had it caught anything, it tries to write it 2 s later.
    let log = '';
    await expect.poll(async () => (log = (await vzctl(['exec', id, 'cat /tmp/catcher.log'])).stdout), { timeout: 20_000, interval: 1000 })
      .toMatch(/^SEEN \d+ SCANS \d+$/m);
    const lines = log.trim().split('\n');
    // Its attacks work where nothing protects the target (a child of its own).
    expect(lines[0]).toBe('SELFCHECK OK');
    const host = await stat(launcherBinary);
    const got = lines.filter((l) => /^(EXE|TRACED|REOPENED) /.test(l));
    expect(got.filter((l) => l.includes(` ${host.dev} ${host.ino}`)), 'opened the host launcher').toEqual([]);
    expect(got, 'caught the launcher').toEqual([]);
    // It did see the launcher's processes in the VE before they exec'd, and was refused
    // (the launcher names itself vzlaunch; before that, its comm came from the exec).
    const denied = lines.filter((l) => /^DENIED \d+ (vzlaunch|memfd:vzlaunch|\d+)_? E[A-Z]+$/.test(l));
    expect(denied.length).toBeGreaterThan(0);
  }, 600_000);
});
