import { readFile, writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HOSTNAME, nsUtsPlugin } from '../src/index.js';
import { failure, fakeVe, type FakeVe } from '@vzkit/fake-host';

let t: FakeVe;
beforeEach(async () => {
  t = await fakeVe([nsUtsPlugin]);
});
afterEach(async () => {
  await t.cleanup();
});


const rootOf = (ctid: number) => `${t.runtime.paths.root}/${ctid}`;

describe('start', () => {
  it('gives init its own UTS namespace with the configured hostname', async () => {
    await t.create(101, { HOSTNAME: 'ct101.example.com' });
    const pid = await t.runtime.start(101);
    const init = t.fake.process(pid)!;
    const self = t.fake.process(t.fake.selfPid)!;
    expect(init.hostname).toBe('ct101.example.com');
    expect(init.namespaces.uts).not.toBe(self.namespaces.uts);
    expect(self.hostname).toBe('fakehost');
    expect((await t.runtime.exec(101, { argv: ['hostname'], stdio: 'pipe' })).stdout).toBe('ct101.example.com\n');
  });

  it('keeps the hostname and domainname sysctls writable inside', async () => {
    await t.create(101);
    await t.runtime.start(101);
    expect(t.plan()!.writableProcSys).toEqual(new Set(['kernel/hostname', 'kernel/domainname']));
  });

  it('without HOSTNAME, init still gets its own UTS namespace and no hostname is set', async () => {
    await t.create(101);
    const pid = await t.runtime.start(101);
    expect(t.fake.process(pid)!.namespaces.uts).not.toBe(t.fake.process(t.fake.selfPid)!.namespaces.uts);
    expect(t.plan()!.ops.filter((o) => o.op === 'sethostname')).toEqual([]);
  });

  it("rewrites the guest's /etc/hostname so its init keeps the name", async () => {
    await t.create(101, { HOSTNAME: 'web1' });
    t.fake.fs.seed(`${rootOf(101)}/etc/hostname`, 'localhost\n');
    await t.runtime.start(101);
    expect(t.fake.fs.read(`${rootOf(101)}/etc/hostname`)).toBe('web1\n');
  });

  it('does not follow a guest symlink at /etc/hostname out to the host', async () => {
    await t.create(101, { HOSTNAME: 'web1' });
    t.fake.fs.seedLink(`${rootOf(101)}/etc/hostname`, '/etc/hostname');
    t.fake.fs.seedLink(`${rootOf(102)}/etc`, '/etc');
    await t.runtime.start(101);
    expect(t.fake.fs.read('/etc/hostname')).toBe('fakehost\n');
    await t.create(102, { HOSTNAME: 'web2' });
    await t.runtime.start(102);
    expect(t.fake.fs.read('/etc/hostname')).toBe('fakehost\n');
  });

  it('refuses a bad HOSTNAME in the config with BAD_HOSTNAME and starts nothing', async () => {
    await t.create(101);
    await t.runtime.set(101, [{ key: 'HOSTNAME', value: 'ok' }], { save: true });
    // A hand-edited config.
    const conf = `${t.runtime.paths.confDir}/101.conf`;
    await writeFile(conf, (await readFile(conf, 'utf8')).replace('HOSTNAME="ok"', 'HOSTNAME="bad_name"'));
    const e = await failure(t.runtime.start(101));
    expect(e.code).toBe('BAD_HOSTNAME');
    expect(e.exit).toBe(70);
    expect((await t.runtime.status(101)).running).toBe(false);
    expect(t.fake.processes.list().filter((p) => p.argv[0] === '/sbin/init' && p.pid !== 1)).toEqual([]);
  });
});

describe('create', () => {
  it('refuses a bad --hostname with BAD_HOSTNAME and writes no config', async () => {
    const e = await failure(t.create(101, { HOSTNAME: '-web' }));
    expect(e.code).toBe('BAD_HOSTNAME');
    expect(e.message).toMatch(/CT 101/);
    expect(e.message).toContain("'-web'");
    expect(await t.runtime.ctids()).toEqual([]);
  });
});

describe('set --hostname', () => {
  it('changes the hostname of the running VE, its /etc/hostname and, with --save, its config', async () => {
    await t.create(101, { HOSTNAME: 'old' });
    t.fake.fs.seed(`${rootOf(101)}/etc/hostname`, 'old\n');
    const pid = await t.runtime.start(101);
    const r = await t.runtime.set(101, [{ flag: 'hostname', arg: 'new.example.org' }], { save: true });
    expect(r.applied).toEqual(['HOSTNAME']);
    expect(t.fake.process(pid)!.hostname).toBe('new.example.org');
    expect(t.fake.fs.read(`${rootOf(101)}/etc/hostname`)).toBe('new.example.org\n');
    expect(await readFile(`${t.runtime.paths.confDir}/101.conf`, 'utf8')).toContain('HOSTNAME="new.example.org"');
    expect((await t.runtime.config(101)).get(HOSTNAME)).toBe('new.example.org');
    expect(t.fake.process(t.fake.selfPid)!.hostname).toBe('fakehost');
  });

  it('refuses a bad hostname with BAD_HOSTNAME and changes nothing', async () => {
    await t.create(101, { HOSTNAME: 'good' });
    const conf = `${t.runtime.paths.confDir}/101.conf`;
    const before = await readFile(conf, 'utf8');
    const pid = await t.runtime.start(101);
    for (const bad of ['bad_name', 'a..b', 'x'.repeat(65), 'with space', 'quo"te']) {
      const e = await failure(t.runtime.set(101, [{ flag: 'hostname', arg: bad }], { save: true }));
      expect(e.code).toBe('BAD_HOSTNAME');
      expect(e.exit).toBe(70);
      expect(e.message).toMatch(/^CT 101: invalid hostname /);
      expect(e.message).toContain(`'${bad}'`);
    }
    expect(t.fake.process(pid)!.hostname).toBe('good');
    expect(await readFile(conf, 'utf8')).toBe(before);
  });

  it('fails clearly when hostname fails inside, and saves nothing', async () => {
    await t.create(101, { HOSTNAME: 'good' });
    const conf = `${t.runtime.paths.confDir}/101.conf`;
    const before = await readFile(conf, 'utf8');
    const pid = await t.runtime.start(101);
    t.fake.commands.register('hostname', () => ({ code: 1, stderr: 'hostname: you must be root to change the host name\n' }));
    const e = await failure(t.runtime.set(101, [{ flag: 'hostname', arg: 'other' }], { save: true }));
    expect(e.code).toBe('EXEC_FAILED');
    expect(e.message).toMatch(/^CT 101: .*'hostname other' inside the VE failed: hostname: you must be root/);
    expect(t.fake.process(pid)!.hostname).toBe('good');
    expect(await readFile(conf, 'utf8')).toBe(before);
  });

  it('on a stopped VE, saves the name for the next start', async () => {
    await t.create(101);
    const r = await t.runtime.set(101, [{ flag: 'hostname', arg: 'later' }], { save: true });
    expect(r.deferred).toEqual(['HOSTNAME']);
    const pid = await t.runtime.start(101);
    expect(t.fake.process(pid)!.hostname).toBe('later');
  });
});

describe('vzlist', () => {
  it('has a hostname column', async () => {
    await t.create(101, { HOSTNAME: 'ct101' });
    await t.create(102);
    const field = t.runtime.listFields.find((f) => f.name === 'hostname')!;
    expect(field).toMatchObject({ header: 'HOSTNAME', width: -32 });
    const rows = await t.runtime.list();
    expect(rows.map((r) => field.get(r))).toEqual(['ct101', undefined]);
  });
});
