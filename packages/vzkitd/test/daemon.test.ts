/**
 * vzkitd on FakeHost, driven over its unix socket as a client would: operations as vzctl
 * runs them (their messages, their refusals), tasks, events, bulk, a forwarded vzctl,
 * and supervision of a guest's reboot and halt as the reaper reports them.
 */
import { request } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from './harness.js';

let t: TestDaemon;
afterEach(async () => t?.stop());

async function create(...ids: number[]): Promise<void> {
  for (const ctid of ids) expect((await t.call('POST', '/v1/ves?wait=1', { ctid, ostemplate: 'busybox' })).status).toBe(200);
}

/** Reads server-sent events until `until` says enough (or 3 s). */
function events(path: string, until: (types: string[]) => boolean, meanwhile: () => Promise<void>): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const types: string[] = [];
    const req = request({ socketPath: t.socket, path }, (res) => {
      res.setEncoding('utf8');
      let buf = '';
      res.on('data', (c: string) => {
        buf += c;
        for (const m of buf.matchAll(/^event: (.+)$/gm)) types.push(m[1]!);
        buf = buf.slice(buf.lastIndexOf('\n\n') + 1);
        if (until(types)) {
          req.destroy();
          resolve(types);
        }
      });
      void meanwhile().catch(reject);
    });
    req.on('error', () => resolve(types));
    req.end();
    setTimeout(() => {
      req.destroy();
      resolve(types);
    }, 3000).unref();
  });
}

describe('the API on FakeHost', () => {
  it('creates, starts, changes, stops and destroys a VE, answering with vzctl\'s messages and refusals', async () => {
    t = await startTestDaemon();
    const created = await t.call('POST', '/v1/ves?wait=1', { ctid: 101, ostemplate: 'busybox', hostname: 'web1', name: 'web1' });
    expect(created).toMatchObject({ status: 200, json: { ctid: 101, messages: ['Creating container private area (busybox)', 'Container private area was created'] } });
    expect(await t.call('POST', '/v1/ves?wait=1', { ctid: 101, ostemplate: 'busybox' })).toMatchObject({ status: 409, json: { code: 'VE_EXISTS', exit: 44 } });

    // A start is a task: 202 with its place, then its outcome there.
    const task = await t.call('POST', '/v1/ves/web1/start');
    expect(task.status).toBe(202);
    expect(task.headers.location).toBe(`/v1/tasks/${task.json.id}`);
    const done = await t.call('GET', `${task.headers.location}?wait=1`);
    expect(done.json).toMatchObject({ op: 'start', ctid: 101, state: 'done', progress: ['Starting container...', 'Container start in progress...'] });
    expect((await t.call('POST', '/v1/ves/101/start?wait=1')).json).toMatchObject({ code: 'VE_RUNNING', exit: 32, message: 'CT 101 is already running' });

    const set = await t.call('PATCH', '/v1/ves/101', { numproc: '30:30', hostname: 'web2', save: true });
    expect(set).toMatchObject({ status: 200, json: { messages: ['Saved parameters for CT 101'] } });
    const ve = await t.call('GET', '/v1/ves/101');
    expect(ve.json).toMatchObject({ ctid: 101, status: 'running', config: { NUMPROC: '30:30', HOSTNAME: 'web2', NAME: 'web1' }, row: { hostname: 'web2', name: 'web1' } });
    expect(await t.call('PATCH', '/v1/ves/101', { numproc: 'lots' })).toMatchObject({ status: 400, json: { code: 'BAD_VALUE', exit: 21 } });
    expect(await t.call('PATCH', '/v1/ves/101', { bogus: 1 })).toMatchObject({ status: 400, json: { code: 'BAD_PARAM', message: "CT 101: unknown parameter 'bogus'" } });

    const list = await t.call('GET', '/v1/ves?o=ctid,hostname,status');
    expect(list.json).toEqual([{ ctid: 101, hostname: 'web2', status: 'running' }]);
    expect((await t.call('GET', '/v1/ves/101/beancounters')).json[0].beancounters.find((b: { resource: string }) => b.resource === 'numproc')).toMatchObject({ barrier: 30, limit: 30 });
    expect((await t.call('GET', '/v1/ves/101/stats')).json.map((r: { resource: string }) => r.resource)).toContain('numproc');

    expect(await t.call('DELETE', '/v1/ves/101?wait=1')).toMatchObject({ status: 409, json: { code: 'VE_RUNNING' } });
    expect((await t.call('POST', '/v1/ves/101/stop?wait=1', { fast: true })).json.messages).toEqual(['Stopping container ...', 'Container was stopped', 'Container is unmounted']);
    expect((await t.call('DELETE', '/v1/ves/101?wait=1')).status).toBe(200);
    expect(await t.call('GET', '/v1/ves/101')).toMatchObject({ status: 404, json: { code: 'VE_NOT_FOUND', exit: 14 } });
    expect(await t.call('GET', '/v1/tasks/nosuch')).toMatchObject({ status: 404 });
  });

  it('streams the VE\'s events as server-sent events, filtered by type and CT', async () => {
    t = await startTestDaemon();
    await create(101, 102);
    const seen = await events('/v1/events?types=ve:*&ctid=101', (ty) => ty.includes('ve:started'), async () => {
      await t.call('POST', '/v1/ves/102/start?wait=1');
      await t.call('POST', '/v1/ves/101/start?wait=1');
    });
    expect(seen).toEqual(['ve:starting', 've:started']);
  });

  it('starts, stops and restarts a list of VEs in one call, reporting each', async () => {
    t = await startTestDaemon();
    await create(101, 102, 103);
    await t.call('POST', '/v1/ves/102/start?wait=1');
    const r = await t.call('POST', '/v1/bulk/start?wait=1', { ctids: '100-199', parallel: 2 });
    expect(r.json).toMatchObject({ op: 'start', total: 3, ok: 2, failed: 1 });
    expect(r.json.outcomes[1]).toMatchObject({ ctid: 102, ok: false, code: 'VE_RUNNING', exit: 32 });
    expect((await t.call('POST', '/v1/bulk/stop?wait=1', { ctids: [101, '102', 103], fast: true })).json).toMatchObject({ ok: 3, failed: 0 });
    expect((await t.call('POST', '/v1/bulk/reboot', { ctids: '101' })).json.code).toBe('BAD_PARAM');
    expect((await t.call('POST', '/v1/bulk/stop', { ctids: '101', nosuch: true })).json.message).toContain("unknown parameter 'nosuch'");
  });

  it('runs a forwarded vzctl command as vzctl would, unless the client\'s settings differ', async () => {
    t = await startTestDaemon();
    await create(101);
    const r = await t.call('POST', '/v1/cli', { tool: 'vzctl', argv: ['start', '101'], env: {}, cgroup: '' });
    expect(r.status).toBe(200);
    expect(r.text.trim().split('\n').map((l) => JSON.parse(l))).toEqual([{ o: 'Starting container...\n' }, { o: 'Container start in progress...\n' }, { exit: 0 }]);
    const again = await t.call('POST', '/v1/cli', { tool: 'vzctl', argv: ['start', '101'], env: {} });
    expect(again.text.trim().split('\n').map((l) => JSON.parse(l))).toEqual([{ e: 'vzctl: CT 101 is already running\n' }, { exit: 32 }]);
    expect((await t.call('POST', '/v1/cli', { tool: 'vzctl', argv: ['start', '101'], env: { VZKIT_CGROUP_PARENT: 'other' } })).status).toBe(412);
    expect((await t.call('POST', '/v1/cli', { tool: 'sh', argv: [] })).status).toBe(400);
  });
});

describe('supervision of guest reboot and halt (reaper reports)', () => {
  async function running(ctid: number): Promise<{ pid: number; startTime: number }> {
    const st = (await t.daemon.inventory.load(ctid))!.state!;
    return { pid: st.pid!, startTime: st.startTime! };
  }

  it('a reboot (init ended by SIGHUP) stops the VE and starts it again with a new init', async () => {
    t = await startTestDaemon();
    await create(101);
    await t.call('POST', '/v1/ves/101/start?wait=1');
    const before = await running(101);
    const types: string[] = [];
    t.daemon.hub.subscribe((e) => types.push(e.type));
    await t.fake.processes.signal(before.pid, 'SIGKILL');
    await t.daemon.supervisor.onExit(before.pid, before.startTime, 1);
    const after = await running(101);
    expect(after.pid).not.toBe(before.pid);
    expect((await t.daemon.rt.status(101)).running).toBe(true);
    expect(types).toEqual(['vzkitd:reboot', 've:stopped', 've:starting', 've:started']);
  });

  it('a halt (SIGINT) leaves it stopped and cleaned up; another end is reported as it was', async () => {
    t = await startTestDaemon();
    await create(101, 102);
    await t.call('POST', '/v1/bulk/start?wait=1', { ctids: '101,102' });
    const types: string[] = [];
    t.daemon.hub.subscribe((e) => types.push(`${e.type} ${e.ctid} ${e.args.join(' ')}`.trim()));
    for (const [ctid, status] of [[101, 2], [102, 9]] as const) {
      const { pid, startTime } = await running(ctid);
      await t.fake.processes.signal(pid, 'SIGKILL');
      await t.daemon.supervisor.onExit(pid, startTime, status);
      expect((await t.daemon.rt.status(ctid)).running).toBe(false);
    }
    expect(types).toEqual(['vzkitd:halt 101', 've:stopped 101', 'vzkitd:exit 102 signal SIGKILL', 've:stopped 102']);
    expect(t.fake.cgroups.groups().filter((g) => g.endsWith('/101') || g.endsWith('/102'))).toEqual([]);
  });

  it('leaves an end it did not see coming to the sampling: found dead, cleaned up, how unknown', async () => {
    t = await startTestDaemon();
    await create(101);
    await t.call('POST', '/v1/ves/101/start?wait=1');
    const { pid } = await running(101);
    const types: string[] = [];
    t.daemon.hub.subscribe((e) => types.push(`${e.type} ${e.args.join(' ')}`.trim()));
    await t.fake.processes.signal(pid, 'SIGKILL');
    await t.daemon.supervisor.tick();
    expect(types).toEqual(['vzkitd:exit unknown', 've:stopped']);
    expect((await t.daemon.rt.status(101)).running).toBe(false);
  });

  it('turns what another vzctl did into events', async () => {
    t = await startTestDaemon();
    await create(101);
    await t.daemon.supervisor.observe();
    const types: string[] = [];
    t.daemon.hub.subscribe((e) => types.push(e.type));
    // The same files, another runtime: as a vzctl without vzkitd.
    const other = await t.daemon.newRuntime({ info() {}, warn() {}, debug() {} });
    (other.events as unknown as { emit: unknown }).emit = () => true;
    await other.start(101);
    await t.daemon.supervisor.observe();
    await other.stop(101, { fast: true });
    await t.daemon.supervisor.observe();
    expect(types).toEqual(['ve:started', 've:stopped']);
  });
});

describe('boot and upkeep', () => {
  it('starts the ONBOOT VEs once per host boot, highest BOOTORDER first, with an event each', async () => {
    t = await startTestDaemon();
    await create(101, 102, 103, 104);
    for (const [id, order] of [[101, 1], [102, 5], [103, undefined]] as const) {
      expect((await t.call('PATCH', `/v1/ves/${id}`, { onboot: true, ...(order ? { bootorder: order } : {}), save: true })).status).toBe(200);
    }
    const { root, fake } = t;
    await t.stop({ keep: true });
    const booted: string[] = [];
    t = await startTestDaemon({ root, fake, boot: true });
    t.daemon.hub.subscribe((e) => {
      if (e.type === 'vzkitd:boot') booted.push(`${e.ctid} ${e.args.join(' ')}`);
    });
    for (let i = 0; i < 100 && booted.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
    expect(booted).toEqual(['102 true', '101 true', '103 true']);
    expect((await t.daemon.rt.status(104)).running).toBe(false);
    // The same boot again (vzkitd restarted): the marker in the run directory says it ran.
    await t.call('POST', '/v1/bulk/stop?wait=1', { ctids: '101-104', fast: true });
    await t.stop({ keep: true });
    t = await startTestDaemon({ root, fake, boot: true });
    await new Promise((r) => setTimeout(r, 100));
    expect((await t.daemon.rt.status(102)).running).toBe(false);
  });

  it('starts lxcfs again when it died while VEs use it, and says which VEs keep the dead views', async () => {
    t = await startTestDaemon();
    await create(101);
    await t.call('POST', '/v1/ves/101/start?wait=1');
    const pidfile = join(t.root, 'run/vzkit/lxcfs/lxcfs.pid');
    const first = Number((await t.fake.fs.readFile(pidfile)).trim());
    await t.fake.processes.signal(first, 'SIGKILL');
    const warnings: string[] = [];
    t.daemon.hub.subscribe((e) => e.type === 'warning' && warnings.push(String(e.args[0])));
    await t.daemon.tick();
    const second = Number((await t.fake.fs.readFile(pidfile)).trim());
    expect(second).not.toBe(first);
    expect(await t.fake.processes.alive(second)).toBe(true);
    expect(t.fake.hostMounts().filter((m) => m.fstype === 'fuse.lxcfs')).toHaveLength(1);
    expect(warnings).toEqual(['lxcfs had stopped and was started again; VEs 101 get errors reading the /proc files lxcfs gave them (meminfo, cpuinfo, ...) until they restart']);
    // Nothing to do the next time.
    await t.daemon.tick();
    expect(warnings).toHaveLength(1);
  });
});
