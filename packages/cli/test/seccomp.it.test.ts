/**
 * The default seccomp filter on the real kernel: bpf, keyctl and open_by_handle_at fail
 * with EPERM in init's filter (inherited) and in commands run with exec (loaded again),
 * while a VE with `--seccomp off` gets the kernel's own answers. io_uring and nested user
 * namespaces are refused in a VE of each kind (the host root's, and a user-namespaced
 * one) unless NESTING allows the latter.
 */
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RealCli } from './real-cli.js';

const cli = new RealCli('seccomp');
const [on, off] = [cli.base, cli.base + 1];
const vzctl = cli.vzctl.bind(cli);
const probeSource = fileURLToPath(new URL('./fixtures/syscall-probe.c', import.meta.url));
const nestingSource = fileURLToPath(new URL('./fixtures/nesting-probe.c', import.meta.url));
const CALLS = ['bpf', 'keyctl', 'open_by_handle_at', 'getppid'];
/** Host range of the user-namespaced VEs: no account's, unlikely another test's. */
const LOCAL = 2_000_000 + ((cli.base + 11) % 1000) * 65536;
const KINDS = [
  { kind: 'a VE of the host root', ctid: cli.base + 2, flags: ['--local_uid', '0'] },
  { kind: 'a user-namespaced VE (--local_uid)', ctid: cli.base + 3, flags: ['--local_uid', String(LOCAL)] },
];

beforeAll(async () => {
  await cli.setup();
  execFileSync('cc', ['-static', '-O2', '-o', join(cli.root, 'probe'), probeSource]);
  execFileSync('cc', ['-static', '-O2', '-pthread', '-o', join(cli.root, 'nesting-probe'), nestingSource]);
}, 120_000);
afterAll(() => cli.teardown(), 120_000);
afterEach(async () => {
  for (const id of [on, off, ...KINDS.map((k) => k.ctid)]) await cli.cleanupVe(id);
}, 60_000);

async function started(ctid: number, ...flags: string[]): Promise<void> {
  expect((await vzctl(['create', String(ctid), '--ostemplate', 'busybox', ...flags])).code).toBe(0);
  const bin = join(cli.root, 'var/lib/vzkit/private', String(ctid), 'fs/usr/local/bin');
  await mkdir(bin, { recursive: true });
  await copyFile(join(cli.root, 'probe'), join(bin, 'probe'));
  await copyFile(join(cli.root, 'nesting-probe'), join(bin, 'nesting-probe'));
  const r = await vzctl(['start', String(ctid)]);
  expect(r.code, r.stderr).toBe(0);
}

const probe = async (ctid: number) =>
  Object.fromEntries((await vzctl(['exec', String(ctid), `/usr/local/bin/probe ${CALLS.join(' ')}`])).stdout.trim().split('\n').map((l) => l.split(' ')));

describe('seccomp', () => {
  it('denies what a VE must never do, in init and in exec, and not with --seccomp off', async () => {
    await started(on);
    // --landlock no too: a VE of the host root has one more filter, on the mount calls (@vzkit/landlock).
    await started(off, '--seccomp', 'off', '--landlock', 'no');
    expect(await probe(on)).toEqual({ bpf: 'EPERM', keyctl: 'EPERM', open_by_handle_at: 'EPERM', getppid: 'OK' });
    const free = await probe(off);
    for (const c of ['bpf', 'keyctl', 'open_by_handle_at']) expect(free[c], c).not.toBe('EPERM');
    // init carries the filter itself, so everything it starts inherits it.
    expect((await vzctl(['exec', String(on), 'grep Seccomp: /proc/1/status'])).stdout).toMatch(/Seccomp:\s+2/);
    expect((await vzctl(['exec', String(off), 'grep Seccomp: /proc/1/status'])).stdout).toMatch(/Seccomp:\s+0/);
    // setuid still works: no_new_privs is off.
    expect((await vzctl(['exec', String(on), 'grep NoNewPrivs: /proc/self/status'])).stdout).toMatch(/NoNewPrivs:\s+0/);
  });
});

/** `name ERRNO` lines of the nesting probe, run with `vzctl exec` (the filter loaded again there). */
const nesting = async (ctid: number) => {
  const r = await vzctl(['exec', String(ctid), '/usr/local/bin/nesting-probe io_uring_setup unshare-user clone-user clone3-user clone3-fork thread']);
  expect(r.code, r.stderr).toBe(0);
  return Object.fromEntries(r.stdout.trim().split('\n').map((l) => l.split(' ')));
};
/** busybox's own `unshare -U`, as an administrator would try it; output and status. */
const unshareU = async (ctid: number) => {
  const r = await vzctl(['exec2', String(ctid), '( /bin/busybox unshare -U /bin/true && echo made ) 2>&1']);
  return { code: r.code, out: r.stdout };
};

describe.each(KINDS)('io_uring and nested user namespaces in $kind', ({ ctid, flags }) => {
  it('io_uring_setup: EPERM; unshare -U and clone(CLONE_NEWUSER): EPERM; clone3: ENOSYS, and threads still start (seccomp)', async () => {
    await started(ctid, ...flags);
    expect(await nesting(ctid)).toEqual({
      io_uring_setup: 'EPERM',
      'unshare-user': 'EPERM',
      'clone-user': 'EPERM',
      // The flags of clone3 are out of a filter's sight: "no such call", and libc falls back to clone.
      'clone3-user': 'ENOSYS',
      'clone3-fork': 'ENOSYS',
      thread: 'OK',
    });
    const u = await unshareU(ctid);
    expect(u.code).not.toBe(0);
    expect(u.out).toMatch(/Operation not permitted/);
    expect(u.out).not.toMatch(/made/);
  });

  it('--nesting yes allows user namespaces from the next start; io_uring stays refused', async () => {
    await started(ctid, ...flags);
    expect((await vzctl(['set', String(ctid), '--nesting', 'yes', '--save'])).stdout).toMatch(/NESTING \(--nesting\) cannot change on a running container: it will apply at the next start/);
    expect((await unshareU(ctid)).code).not.toBe(0);
    expect((await vzctl(['restart', String(ctid)])).code).toBe(0);
    expect(await nesting(ctid)).toEqual({
      io_uring_setup: 'EPERM', 'unshare-user': 'OK', 'clone-user': 'OK', 'clone3-user': 'OK', 'clone3-fork': 'OK', thread: 'OK',
    });
    expect(await unshareU(ctid)).toEqual({ code: 0, out: 'made\n' });
    expect((await vzctl(['set', String(ctid), '--nesting', 'no', '--save'])).code).toBe(0);
    expect((await vzctl(['restart', String(ctid)])).code).toBe(0);
    expect((await nesting(ctid))['unshare-user']).toBe('EPERM');
  });
});

describe('with --seccomp off', () => {
  it('io_uring and user namespaces get the kernel\'s own answers', async () => {
    await started(off, '--seccomp', 'off', '--local_uid', '0');
    // A host may have turned io_uring off for everyone (kernel.io_uring_disabled).
    const uring = (await readFile('/proc/sys/kernel/io_uring_disabled', 'utf8').catch(() => '0')).trim() === '0' ? 'OK' : 'EPERM';
    expect(await nesting(off)).toEqual({
      io_uring_setup: uring, 'unshare-user': 'OK', 'clone-user': 'OK', 'clone3-user': 'OK', 'clone3-fork': 'OK', thread: 'OK',
    });
  });
});
