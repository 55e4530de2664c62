/**
 * Acceptance of vzkitd (issue 19; issue 20 item 1) on the real kernel: vzkitd in a
 * temporary VZKIT_ROOT, driven with curl on its unix socket; its events and metrics; a
 * guest's reboot and halt; SIGKILL of vzkitd in the middle of a start; who may connect.
 */
import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RealCli } from '../../cli/test/real-cli.js';
import { curl, EventTap, exists, parentOf, RealDaemon, statePid } from './real-daemon.js';

const cli = new RealCli('vzkitd');
let d: RealDaemon;
let tls: string;
const TOKEN = 'test-token-0123456789abcdef';
let next = 0;
const ctid = () => cli.base + next++;

beforeAll(async () => {
  await cli.setup();
  RealDaemon.build();
  tls = await mkdtemp(join(tmpdir(), 'vzkitd-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
    '-keyout', join(tls, 'key.pem'), '-out', join(tls, 'cert.pem')], { stdio: 'ignore' });
  await writeFile(join(tls, 'token'), `${TOKEN}\n`, { mode: 0o600 });
  d = new RealDaemon(cli.root, { VZKIT_ROOT: cli.root, VZKIT_CGROUP_PARENT: cli.parent },
    ['--listen', '127.0.0.1:0', '--tls-cert', join(tls, 'cert.pem'), '--tls-key', join(tls, 'key.pem'), '--token-file', join(tls, 'token')]);
  await d.start();
}, 180_000);

afterAll(async () => {
  await d?.stop();
  await cli.teardown();
  if (tls) await rm(tls, { recursive: true, force: true });
}, 180_000);

describe('vzkitd', () => {
  it('drives create, start, exec, set, stop and destroy through the API on its socket', async () => {
    const id = ctid();
    const created = await d.api('POST', '/v1/ves?wait=1', { ctid: id, ostemplate: 'busybox', hostname: 'web1' });
    expect(created.status, created.body).toBe(200);
    expect(created.json.messages).toContain('Container private area was created');
    // A start as a task, followed to its end.
    const task = await d.api('POST', `/v1/ves/${id}/start`);
    expect(task.status).toBe(202);
    const done = await d.api('GET', `/v1/tasks/${task.json.id}?wait=1`);
    expect(done.json).toMatchObject({ state: 'done', progress: expect.arrayContaining(['Starting container...']) });
    const exec = await d.api('POST', `/v1/ves/${id}/exec`, { command: 'hostname; echo $$' });
    expect(exec.json).toMatchObject({ ctid: id, code: 0, stderr: '' });
    expect(exec.json.stdout.split('\n')[0]).toBe('web1');
    const set = await d.api('PATCH', `/v1/ves/${id}`, { numproc: '30:30', hostname: 'web2', save: true });
    expect(set.status, set.body).toBe(200);
    expect(await readFile(join(cli.root, 'etc/vzkit/conf', `${id}.conf`), 'utf8')).toMatch(/NUMPROC="30:30"/);
    expect((await d.api('POST', `/v1/ves/${id}/exec`, { command: ['cat', '/etc/hostname'] })).json.stdout).toBe('web2\n');
    const ve = await d.api('GET', `/v1/ves/${id}`);
    expect(ve.json).toMatchObject({ ctid: id, status: 'running', config: { NUMPROC: '30:30', HOSTNAME: 'web2' } });
    expect((await d.api('GET', `/v1/ves/${id}/beancounters`)).json[0].beancounters.find((b: any) => b.resource === 'numproc')).toMatchObject({ limit: 30 });
    const pid = (await statePid(cli.root, id))!;
    expect((await d.api('POST', `/v1/ves/${id}/stop?wait=1`)).status).toBe(200);
    expect((await d.api('DELETE', `/v1/ves/${id}?wait=1`)).status).toBe(200);
    await cli.expectClean(id, pid);
    expect(await d.api('GET', `/v1/ves/${id}`)).toMatchObject({ status: 404, json: { code: 'VE_NOT_FOUND', exit: 14 } });
  });

  it('streams events and exports metrics: a fork flood under numproc raises its failcnt series', async () => {
    const id = ctid();
    const tap = new EventTap(d.socket, `?ctid=${id}`);
    try {
      expect((await d.api('POST', '/v1/ves?wait=1', { ctid: id, ostemplate: 'busybox', numproc: '20:20' })).status).toBe(200);
      expect((await d.api('POST', `/v1/ves/${id}/start?wait=1`)).status).toBe(200);
      await tap.waitFor((e) => e.type === 've:started');
      const series = (text: string) => Number(new RegExp(`^vzkit_beancounter_failcnt\\{ctid="${id}",name="",resource="numproc"\\} (\\d+)$`, 'm').exec(text)?.[1]);
      const before = await d.api('GET', '/metrics');
      expect(before.body).toContain(`vzkit_ve_up{ctid="${id}",name=""} 1`);
      expect(series(before.body)).toBe(0);
      // The sampling has seen the VE (its baseline) before the flood.
      await sleep(1500);
      const flood = await d.api('POST', `/v1/ves/${id}/exec`, { command: 'for i in $(seq 40); do sleep 3 & done 2>/dev/null; wait; true', timeout: 30 });
      expect(flood.status).toBe(200);
      const after = await d.api('GET', '/metrics');
      expect(series(after.body)).toBeGreaterThan(0);
      expect(after.body).toMatch(new RegExp(`vzkit_cpu_seconds_total\\{ctid="${id}",name=""\\} [0-9.e-]+`));
      expect(after.body).toMatch(new RegExp(`vzkit_net_transmit_bytes_total\\{ctid="${id}",name="",dev="venet0",host_dev="venet${id}"\\} \\d+`));
      await tap.waitFor((e) => e.type === 'ubc:failcnt' && e.args[0] === 'numproc');
      await d.api('POST', `/v1/ves/${id}/stop?wait=1`, { fast: true });
      await tap.waitFor((e) => e.type === 've:stopped');
    } finally {
      tap.close();
    }
  });

  for (const kind of ['unprivileged', 'of the host root'] as const) {
    it(`a guest's reboot brings its VE back with a new init, a halt stops it (VE ${kind})`, async () => {
      const id = ctid();
      const tap = new EventTap(d.socket, `?ctid=${id}`);
      try {
        const extra = kind === 'unprivileged' ? {} : { local_uid: '0' };
        expect((await d.api('POST', '/v1/ves?wait=1', { ctid: id, ostemplate: 'busybox', ...extra })).status).toBe(200);
        expect((await d.api('POST', `/v1/ves/${id}/start?wait=1`)).status).toBe(200);
        const first = (await statePid(cli.root, id))!;
        // Started by vzkitd: its reaper is init's parent once the launcher is gone.
        expect(await parentOf(first)).toBe(d.pid);
        await d.api('POST', `/v1/ves/${id}/exec`, { command: 'reboot' });
        await tap.waitFor((e) => e.type === 'vzkitd:reboot');
        await tap.waitFor((e) => e.type === 've:started' && e.args[0] !== first);
        const second = (await statePid(cli.root, id))!;
        expect(second).not.toBe(first);
        expect((await cli.vzctl(['status', String(id)])).stdout).toContain('running');
        expect((await d.api('POST', `/v1/ves/${id}/exec`, { command: 'echo back' })).json.stdout).toBe('back\n');
        await d.api('POST', `/v1/ves/${id}/exec`, { command: 'poweroff' });
        await tap.waitFor((e) => e.type === 'vzkitd:halt');
        const halted = tap.events().findIndex((e) => e.type === 'vzkitd:halt');
        await tap.waitFor(() => tap.events().slice(halted).some((e) => e.type === 've:stopped'));
        expect((await cli.vzctl(['status', String(id)])).stdout).toContain('down');
        expect(await cli.host.cgroups.exists(`${cli.parent}/${id}`)).toBe(false);
        expect(await cli.host.processes.alive(second)).toBe(false);
        // Halted, not killed: no kill after a stop timeout was needed.
        expect(tap.events().map((e) => e.type)).not.toContain('ve:stopping');
      } finally {
        tap.close();
      }
    });
  }

  it('a guest that reboots while vzkitd\'s worker is down is back once the reaper has started another', async () => {
    const id = ctid();
    expect((await d.api('POST', '/v1/ves?wait=1', { ctid: id, ostemplate: 'busybox' })).status).toBe(200);
    expect((await d.api('POST', `/v1/ves/${id}/start?wait=1`)).status).toBe(200);
    const first = (await statePid(cli.root, id))!;
    const worker = await d.workerPid();
    // The worker stopped, the guest reboots (vzctl exec runs without vzkitd), the reaper
    // reaps init and writes its report into a pipe nobody reads; then the worker dies.
    process.kill(worker, 'SIGSTOP');
    try {
      await cli.vzctl(['exec', String(id), 'reboot']);
      for (let i = 0; i < 200 && (await cli.host.processes.alive(first)); i++) await sleep(50);
      expect(await cli.host.processes.alive(first)).toBe(false);
    } finally {
      process.kill(worker, 'SIGKILL');
    }
    expect((await d.ready()).pid).not.toBe(worker);
    let second: number | undefined;
    for (let i = 0; i < 200; i++) {
      second = await statePid(cli.root, id);
      if (second && second !== first && (await cli.host.processes.alive(second))) break;
      await sleep(50);
    }
    expect(second).not.toBe(first);
    expect((await cli.vzctl(['status', String(id)])).stdout).toContain('running');
    expect(await parentOf(second!)).toBe(d.pid);
    await d.api('POST', `/v1/ves/${id}/stop?wait=1`, { fast: true });
  });

  it('forwards vzctl start to the running vzkitd: same output, and its reaper is the parent', async () => {
    const a = ctid();
    const b = ctid();
    for (const id of [a, b]) expect((await cli.vzctl(['create', String(id), '--ostemplate', 'busybox'])).code).toBe(0);
    const local = await cli.vzctl(['start', String(a)], { VZKIT_NO_DAEMON: '1' });
    const forwarded = await cli.vzctl(['start', String(b)]);
    expect(forwarded).toMatchObject({ code: 0, stdout: local.stdout, stderr: local.stderr });
    expect(await parentOf((await statePid(cli.root, b))!)).toBe(d.pid);
    const again = await cli.vzctl(['start', String(b)]);
    expect(again).toMatchObject({ code: 32, stderr: `vzctl: CT ${b} is already running\n` });
    // The administrator's way: a reboot inside a VE vzctl started brings it back.
    const before = (await statePid(cli.root, b))!;
    await cli.vzctl(['exec', String(b), 'reboot']);
    let after: number | undefined;
    for (let i = 0; i < 300; i++) {
      after = await statePid(cli.root, b);
      if (after && after !== before && (await cli.host.processes.alive(after))) break;
      await sleep(50);
    }
    expect(after).not.toBe(before);
    expect((await cli.vzctl(['status', String(b)])).stdout).toContain('running');
    const bulk = await cli.vzctl(['stop', `${a},${b}`, '--fast']);
    expect(bulk.code).toBe(0);
    expect(bulk.stdout).toContain('2 of 2 containers stopped');
    const restart = await cli.vzctl(['start', `${a},${b}`]);
    expect(restart).toMatchObject({ code: 0 });
    for (const id of [a, b]) expect(await parentOf((await statePid(cli.root, id))!)).toBe(d.pid);
    await cli.vzctl(['stop', `${a},${b}`, '--fast']);
  });

  it('loses nothing and leaves nothing when vzkitd is killed in the middle of a start', async () => {
    for (const victim of ['worker', 'reaper'] as const) {
      const id = ctid();
      expect((await d.api('POST', '/v1/ves?wait=1', { ctid: id, ostemplate: 'busybox' })).status).toBe(200);
      const worker = await d.workerPid();
      const task = await d.api('POST', `/v1/ves/${id}/start`);
      expect(task.status).toBe(202);
      // Killed once the start's intent is written, before it is done.
      const statePath = join(cli.root, 'run/vzkit', String(id), 'state.json');
      const deadline = Date.now() + 10_000;
      while (!(await exists(statePath)) && Date.now() < deadline) await sleep(2);
      process.kill(victim === 'worker' ? worker : d.pid, 'SIGKILL');
      if (victim === 'reaper') {
        await new Promise((r) => (d.child!.exitCode !== null || d.child!.signalCode !== null ? r(undefined) : d.child!.once('exit', r)));
        // The worker dies with its reaper.
        for (let i = 0; i < 100 && (await cli.host.processes.alive(worker)); i++) await sleep(20);
        expect(await cli.host.processes.alive(worker)).toBe(false);
        // The next vzctl finishes or undoes the start, then a new vzkitd takes over.
        const st = await cli.vzctl(['status', String(id)]);
        expect(st.code).toBe(0);
        await d.start();
      } else {
        // The reaper starts another worker, which finishes or undoes what the killed one began.
        const info = await d.ready();
        expect(info.pid).not.toBe(worker);
      }
      const st = (await cli.vzctl(['status', String(id)])).stdout;
      expect(st).toMatch(/running|down/);
      expect(await exists(join(cli.root, 'run/vzkit', `${id}.lck`))).toBe(false);
      if (st.includes('down')) {
        const mounts = await readFile('/proc/self/mountinfo', 'utf8');
        expect(mounts).not.toContain(`${cli.root}/var/lib/vzkit/root/${id} `);
        expect(await cli.host.cgroups.exists(`${cli.parent}/${id}`)).toBe(false);
      } else {
        expect(await cli.host.processes.alive((await statePid(cli.root, id))!)).toBe(true);
      }
      // Either way the VE works afterwards.
      await cli.vzctl(['stop', String(id), '--fast']);
      expect((await cli.vzctl(['start', String(id)])).code).toBe(0);
      expect((await cli.vzctl(['stop', String(id), '--fast'])).code).toBe(0);
    }
  });

  it('refuses a client without access to the socket, and TCP without the token', async () => {
    const st = (await import('node:fs')).statSync(d.socket);
    expect(st.mode & 0o777).toBe(0o600);
    expect(st.uid).toBe(0);
    const nobody = await curl(['--unix-socket', d.socket, 'http://vzkitd/v1/ves'], { user: 65534 });
    expect(nobody.exit).toBe(7);
    expect(nobody.stderr).toMatch(/Permission denied|Couldn't connect/);
    const port = (await d.ready()).tcp.split(':').pop();
    const url = `https://127.0.0.1:${port}/v1/ves`;
    const none = await curl(['-k', url]);
    expect(none).toMatchObject({ status: 401, json: { code: 'UNAUTHORIZED' } });
    const wrong = await curl(['-k', '-H', 'Authorization: Bearer not-the-token-at-all', url]);
    expect(wrong.status).toBe(401);
    const right = await curl(['-k', '-H', `Authorization: Bearer ${TOKEN}`, url]);
    expect(right.status).toBe(200);
    expect(Array.isArray(right.json)).toBe(true);
    // Not plain HTTP either.
    expect((await curl([`http://127.0.0.1:${port}/v1/ves`])).status).not.toBe(200);
  });

  it('refuses a second vzkitd for the same root', async () => {
    const second = new RealDaemon(cli.root, { VZKIT_ROOT: cli.root, VZKIT_CGROUP_PARENT: cli.parent });
    const child = (await import('node:child_process')).spawnSync(process.execPath, [join(new URL('..', import.meta.url).pathname, 'dist/vzkitd.js')], {
      env: { ...process.env, ...second.env }, encoding: 'utf8', timeout: 20_000,
    });
    expect(child.status).toBe(3);
    expect(child.stderr).toMatch(/already running \(pid \d+/);
    await chmod(cli.root, 0o711);
  });
});
