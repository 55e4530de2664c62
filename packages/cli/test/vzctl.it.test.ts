/**
 * The bundled binaries on the real kernel: a busybox VE made, started, looked into,
 * changed, listed, stopped and destroyed with `node dist/vzctl.js` and `dist/vzlist.js`,
 * leaving no mount, cgroup, state or lock file behind.
 */
import { execFile, execFileSync } from 'node:child_process';
import { access, chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLinuxHost, type LinuxHost } from '@vzkit/linux';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const parent = `@self/vzkit-test-${process.pid}`;
const ctid = 100000 + Math.floor(Math.random() * 800000);
let root = '';
let host: LinuxHost;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(bin: 'vzctl' | 'vzlist', ...argv: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(pkg, 'dist', `${bin}.js`), ...argv],
      { env: { ...process.env, VZKIT_ROOT: root, VZKIT_CGROUP_PARENT: parent, VZKIT_DEBUG: '' }, timeout: 50_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 128) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
const vzctl = (...argv: string[]) => run('vzctl', ...argv);
const vzlist = (...argv: string[]) => run('vzlist', ...argv);
const exists = (p: string) => access(p).then(() => true, () => false);

beforeAll(async () => {
  execFileSync('make', ['-s', '-C', join(pkg, '../linux/native')], { stdio: 'inherit' });
  execFileSync(process.execPath, [join(pkg, 'build.mjs')], { stdio: 'inherit' });
  root = await mkdtemp(join(tmpdir(), 'vzkit-cli-it-'));
  // Like /var/lib: the VE's root (an unprivileged host uid by default) must pass through to its VE_ROOT.
  await chmod(root, 0o711);
  host = await createLinuxHost();
}, 120_000);

afterAll(async () => {
  // Whatever a failed test left: stop, destroy, then the test's own cgroup parent.
  if ((await vzctl('status', String(ctid))).stdout.includes('running')) await vzctl('stop', String(ctid), '--fast');
  if ((await vzctl('status', String(ctid))).stdout.includes('exist')) await vzctl('destroy', String(ctid));
  await host?.cgroups.destroy(`${parent}/${ctid}`).catch(() => undefined);
  await host?.cgroups.destroy(parent).catch(() => undefined);
  if (root) await rm(root, { recursive: true, force: true });
}, 60_000);

describe('vzctl and vzlist bundles on the real kernel', () => {
  const id = String(ctid);

  it('start in well under a second and answer --version', async () => {
    const t0 = performance.now();
    const r = await vzctl('--version');
    expect(r).toEqual({ code: 0, stdout: expect.stringMatching(/^vzctl version \d+\.\d+\.\d+\n$/), stderr: '' });
    expect(performance.now() - t0).toBeLessThan(1000);
    // The shebang makes the file itself runnable.
    const direct = execFileSync(join(pkg, 'dist/vzctl.js'), ['--version'], { env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}` } });
    expect(direct.toString()).toBe(r.stdout);
  });

  it('refuse bad input with one line and the OpenVZ exit code', async () => {
    expect(await vzctl('start', 'abc')).toMatchObject({ code: 20, stdout: '' });
    expect(await vzctl('status', String(ctid))).toEqual({ code: 0, stdout: `CTID ${ctid} deleted unmounted down\n`, stderr: '' });
    const r = await vzctl('start', String(ctid));
    expect(r.code).toBe(14);
    expect(r.stderr.split('\n')[0]).toMatch(new RegExp(`^vzctl: CT ${ctid} does not exist`));
  });

  it('create a busybox VE and start it', async () => {
    expect(await vzctl('create', id, '--ostemplate', 'busybox', '--hostname', `it-${ctid}`)).toEqual({
      code: 0, stdout: 'Creating container private area (busybox)\nContainer private area was created\n', stderr: '',
    });
    expect(await vzctl('start', id)).toEqual({ code: 0, stdout: 'Starting container...\nContainer start in progress...\n', stderr: '' });
    expect((await vzctl('status', id)).stdout).toBe(`CTID ${ctid} exist mounted running\n`);
  });

  it('runs ps inside: init is PID 1 and no host process is visible', async () => {
    const r = await vzctl('exec', id, 'ps');
    expect(r.code).toBe(0);
    const rows = r.stdout.trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/));
    expect(rows[0]?.[0]).toBe('1');
    expect(rows[0]?.slice(2).join(' ')).toMatch(/init/);
    expect(rows.length).toBeLessThan(10);
    expect(r.stdout).not.toMatch(/node|vitest|systemd|sshd/);
    expect(Math.max(...rows.map((c) => Number(c[0])))).toBeLessThan(100);
  });

  it('sees its own hostname and no host path in /proc/mounts', async () => {
    expect(await vzctl('exec', id, 'hostname')).toEqual({ code: 0, stdout: `it-${ctid}\n`, stderr: '' });
    const m = await vzctl('exec', id, 'cat', '/proc/mounts');
    expect(m.code).toBe(0);
    expect(m.stdout).toMatch(/^overlay \/ overlay /m);
    expect(m.stdout).not.toContain(root);
    expect(m.stdout).not.toMatch(/\/tmp\/|\/work\//);
  });

  it('shows up in vzlist as running with its process count', async () => {
    const r = await vzlist();
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('      CTID      NPROC STATUS    IP_ADDR         HOSTNAME');
    const row = lines.find((l) => l.trim().startsWith(`${ctid} `));
    expect(row).toMatch(new RegExp(`^ *${ctid} +\\d+ running +- +it-${ctid}$`));
    const [json] = JSON.parse((await vzlist('-j', '-o', 'ctid,numproc,status,hostname', id)).stdout) as Array<Record<string, unknown>>;
    expect(json).toMatchObject({ ctid, status: 'running', hostname: `it-${ctid}` });
    expect(json!.numproc).toBeGreaterThanOrEqual(1);
  });

  it('changes the hostname live with set --save', async () => {
    expect(await vzctl('set', id, '--hostname', 'changed-live', '--save')).toEqual({ code: 0, stdout: `Saved parameters for CT ${ctid}\n`, stderr: '' });
    expect((await vzctl('exec', id, 'hostname')).stdout).toBe('changed-live\n');
    expect(await readFile(join(root, 'etc/vzkit/conf', `${ctid}.conf`), 'utf8')).toMatch(/^HOSTNAME="changed-live"$/m);
  });

  it('passes exit statuses: exec 8 on failure, exec2 the command\'s own', async () => {
    expect((await vzctl('exec', id, 'false')).code).toBe(8);
    expect((await vzctl('exec2', id, 'exit 3')).code).toBe(3);
    expect(await vzctl('exec', id, 'echo', 'a', 'b')).toEqual({ code: 0, stdout: 'a b\n', stderr: '' });
  });

  it('runs a host script inside with runscript, passing arguments and its exit status', async () => {
    const script = join(root, 'script.sh');
    await writeFile(script, '#!/bin/sh\necho "in $(hostname) with $1 $2"\nexit 4\n');
    expect(await vzctl('runscript', id, script, 'x', 'y z')).toEqual({ code: 4, stdout: 'in changed-live with x y z\n', stderr: '' });
    expect((await vzctl('runscript', id, join(root, 'missing.sh'))).code).toBe(20);
  });

  it('refuses to start or destroy it while it runs (32)', async () => {
    expect((await vzctl('start', id)).code).toBe(32);
    expect((await vzctl('destroy', id)).code).toBe(32);
  });

  it('stops and destroys it, leaving no mount, cgroup, state or lock file', async () => {
    expect(await vzctl('stop', id)).toEqual({ code: 0, stdout: 'Stopping container ...\nContainer was stopped\nContainer is unmounted\n', stderr: '' });
    expect((await vzctl('status', id)).stdout).toBe(`CTID ${ctid} exist unmounted down\n`);
    expect((await vzctl('stop', id)).code).toBe(31);
    const d = await vzctl('destroy', id);
    expect(d.code).toBe(0);
    expect(d.stdout).toBe(`Destroying container private area: ${root}/var/lib/vzkit/private/${ctid}\nContainer private area was destroyed\n`);
    expect((await vzctl('status', id)).stdout).toBe(`CTID ${ctid} deleted unmounted down\n`);

    expect(await readFile('/proc/self/mountinfo', 'utf8')).not.toContain(root);
    expect(await host.cgroups.exists(`${parent}/${ctid}`)).toBe(false);
    expect(await exists(join(root, 'run/vzkit', String(ctid), 'state.json'))).toBe(false);
    expect(await exists(join(root, 'run/vzkit', `${ctid}.lck`))).toBe(false);
    expect(await exists(join(root, 'var/lib/vzkit/private', String(ctid)))).toBe(false);
    expect(await exists(join(root, 'etc/vzkit/conf', `${ctid}.conf`))).toBe(false);
  });
});
