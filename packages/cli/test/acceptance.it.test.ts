/**
 * The foundation's acceptance on the real kernel, through the bundled vzctl:
 * two VEs side by side cannot see each other's processes, IPC objects or files; and a
 * vzctl killed with SIGKILL at any step of create, start, stop or destroy leaves nothing
 * behind once the next vzctl has run.
 */
import { execFileSync } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RealCli } from './real-cli.js';

const cli = new RealCli('acc');
const base = cli.base;
const vzctl = cli.vzctl.bind(cli);
const initPid = cli.initPid.bind(cli);
const cleanupVe = cli.cleanupVe.bind(cli);
const nsenter = (pid: number, ...argv: string[]) => execFileSync('nsenter', ['--target', String(pid), '--ipc', '--', ...argv]).toString();

beforeAll(() => cli.setup(), 120_000);

const expectClean = cli.expectClean.bind(cli);

afterAll(() => cli.teardown(), 120_000);

describe('two VEs side by side', () => {
  const a = base, b = base + 1;
  afterEach(async () => {
    await cleanupVe(a);
    await cleanupVe(b);
  });

  it('cannot see each other\'s processes, IPC objects or files', async () => {
    for (const id of [a, b]) {
      expect((await vzctl(['create', String(id), '--ostemplate', 'busybox'])).code).toBe(0);
      expect((await vzctl(['start', String(id)])).code).toBe(0);
    }
    // A marker process in B. (vzctl exec hands its arguments to the VE's shell as one line, as OpenVZ does.)
    expect((await vzctl(['exec', String(b), 'setsid sleep 4321 </dev/null >/dev/null 2>&1 &'])).code).toBe(0);
    const psB = (await vzctl(['exec', String(b), 'ps'])).stdout;
    const psA = (await vzctl(['exec', String(a), 'ps'])).stdout;
    expect(psB).toContain('sleep 4321');
    expect(psA).not.toContain('sleep 4321');
    // A's /proc holds only A's pids: B's init (host pid) is not there, and cannot be signalled.
    const pidB = await initPid(b);
    expect((await vzctl(['exec2', String(a), 'kill', '-0', String(pidB)])).code).not.toBe(0);
    const procA = (await vzctl(['exec', String(a), 'ls', '/proc'])).stdout.split(/\s+/).filter((x) => /^\d+$/.test(x)).map(Number);
    expect(Math.max(...procA)).toBeLessThan(100);

    // SysV IPC: a segment made in A exists in A only (seen with the host's util-linux in each IPC namespace).
    const pidA = await initPid(a);
    const segments = (out: string) => out.split('\n').filter((l) => /^0x[0-9a-f]+\s+\d+/.test(l)).length;
    const hostBefore = segments(execFileSync('ipcs', ['-m']).toString());
    expect(nsenter(pidA, 'ipcmk', '-M', '4096', '-p', '0600')).toMatch(/Shared memory id: \d+/);
    expect(segments(nsenter(pidA, 'ipcs', '-m'))).toBe(1);
    expect(segments(nsenter(pidB, 'ipcs', '-m'))).toBe(0);
    expect(segments(execFileSync('ipcs', ['-m']).toString())).toBe(hostBefore);
    // POSIX shared memory lives in each VE's own /dev/shm.
    expect((await vzctl(['exec', String(a), 'echo a > /dev/shm/only-a'])).code).toBe(0);
    expect((await vzctl(['exec2', String(b), 'cat', '/dev/shm/only-a'])).code).not.toBe(0);
    expect(await readdir('/dev/shm')).not.toContain('only-a');

    // Files: A's own file is not in B, nor reachable through B's /proc.
    expect((await vzctl(['exec', String(a), 'echo secret > /root/only-a'])).code).toBe(0);
    expect((await vzctl(['exec2', String(b), 'cat', '/root/only-a'])).code).not.toBe(0);
    expect((await vzctl(['exec2', String(b), 'cat', `/proc/${pidA}/root/root/only-a`])).code).not.toBe(0);
    expect(await readFile(join(cli.root, 'var/lib/vzkit/private', String(a), 'fs/root/only-a'), 'utf8')).toBe('secret\n');

    // After a stop, A's IPC objects are gone with its namespace.
    expect((await vzctl(['restart', String(a)])).code).toBe(0);
    expect(segments(nsenter(await initPid(a), 'ipcs', '-m'))).toBe(0);
  });
});

describe('SIGKILL of vzctl at each step, then the next vzctl', () => {
  // DECISIONS: VZKIT_FAULT=<op>:<step> makes vzctl kill itself right after that step.
  const startSteps = ['intent', 'cgroup', 'mount:@vzkit/ns-fs', 'prepare:@vzkit/ns-fs', 'prepare:@vzkit/ns-pid', 'clone', 'exec'];
  let next = base + 10;

  it.each(startSteps)('start killed after %s: stop + destroy leave the host clean', async (step) => {
    const id = next++;
    expect((await vzctl(['create', String(id), '--ostemplate', 'busybox'])).code).toBe(0);
    const r = await vzctl(['start', String(id)], { VZKIT_FAULT: `start:${step}` });
    expect(r.signal).toBe('SIGKILL');
    const pid = await initPid(id).catch(() => undefined);
    const stop = await vzctl(['stop', String(id), '--fast']);
    expect([0, 31]).toContain(stop.code);
    expect((await vzctl(['destroy', String(id)])).code).toBe(0);
    await expectClean(id, pid);
  });

  it.each(['intent', 'plugin:@vzkit/template', 'plugin:@vzkit/ns-fs', 'config'])(
    'create killed after %s: the next vzctl removes what it left', async (step) => {
      const id = next++;
      const r = await vzctl(['create', String(id), '--ostemplate', 'busybox'], { VZKIT_FAULT: `create:${step}` });
      expect(r.signal).toBe('SIGKILL');
      const d = await vzctl(['destroy', String(id)]);
      expect([0, 14]).toContain(d.code);
      await expectClean(id);
    });

  it.each([['stop', 'intent'], ['stop', 'halt'], ['destroy', 'intent']])('%s killed after %s: the next vzctl finishes the job', async (op, step) => {
    const id = next++;
    expect((await vzctl(['create', String(id), '--ostemplate', 'busybox'])).code).toBe(0);
    expect((await vzctl(['start', String(id)])).code).toBe(0);
    const pid = await initPid(id);
    if (op === 'destroy') expect((await vzctl(['stop', String(id), '--fast'])).code).toBe(0);
    const r = await vzctl([op, String(id)], { VZKIT_FAULT: `${op}:${step}` });
    expect(r.signal).toBe('SIGKILL');
    expect((await vzctl(['status', String(id)])).stdout).toMatch(/(unmounted down|deleted)/);
    const d = await vzctl(['destroy', String(id)]);
    expect([0, 14]).toContain(d.code);
    await expectClean(id, pid);
  });
});
