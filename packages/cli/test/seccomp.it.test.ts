/**
 * The default seccomp filter on the real kernel: bpf, keyctl and open_by_handle_at fail
 * with EPERM in init's filter (inherited) and in commands run with exec (loaded again),
 * while a VE with `--seccomp off` gets the kernel's own answers.
 */
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RealCli } from './real-cli.js';

const cli = new RealCli('seccomp');
const [on, off] = [cli.base, cli.base + 1];
const vzctl = cli.vzctl.bind(cli);
const probeSource = fileURLToPath(new URL('./fixtures/syscall-probe.c', import.meta.url));
const CALLS = ['bpf', 'keyctl', 'open_by_handle_at', 'getppid'];

beforeAll(async () => {
  await cli.setup();
  execFileSync('cc', ['-static', '-O2', '-o', join(cli.root, 'probe'), probeSource]);
}, 120_000);
afterAll(() => cli.teardown(), 120_000);
afterEach(async () => {
  for (const id of [on, off]) await cli.cleanupVe(id);
});

async function started(ctid: number, ...flags: string[]): Promise<void> {
  expect((await vzctl(['create', String(ctid), '--ostemplate', 'busybox', ...flags])).code).toBe(0);
  const bin = join(cli.root, 'var/lib/vzkit/private', String(ctid), 'fs/usr/local/bin');
  await mkdir(bin, { recursive: true });
  await copyFile(join(cli.root, 'probe'), join(bin, 'probe'));
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
