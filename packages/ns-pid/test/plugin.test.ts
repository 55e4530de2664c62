import { readFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nsPidPlugin, STOP_TIMEOUT } from '../src/index.js';
import { failure, fakeVe, type FakeVe } from '@vzkit/fake-host';

let t: FakeVe;
beforeEach(async () => {
  t = await fakeVe([nsPidPlugin]);
});
afterEach(async () => {
  await t.cleanup();
});


describe('start', () => {
  it('makes init PID 1 of a new pid namespace', async () => {
    await t.create(101);
    const pid = await t.runtime.start(101);
    const init = t.fake.process(pid)!;
    expect(init.nsPid).toBe(1);
    expect(init.namespaces.pid).not.toBe(t.fake.process(t.fake.selfPid)!.namespaces.pid);
    const ps = await t.runtime.exec(101, { argv: ['ps'], stdio: 'pipe' });
    expect(ps.stdout).toMatch(/^\s+1 root\s+\/sbin\/init$/m);
  });
});

describe('stop', () => {
  it("asks init to halt (SIGUSR2 to a busybox-style init) and init's namespace goes with it", async () => {
    await t.create(101);
    const pid = await t.runtime.start(101);
    const daemon = t.fake.processes.spawn(pid, ['/usr/sbin/sshd']);
    const started = Date.now();
    await t.runtime.stop(101);
    expect(Date.now() - started).toBeLessThan(1000);
    const init = t.fake.process(pid)!;
    expect(init.signals[0]).toBe('SIGUSR2');
    // Halted by itself (the guest's poweroff), not killed.
    expect(init.exit).toEqual({ signal: 'SIGINT' });
    expect(t.fake.process(daemon)!.alive).toBe(false);
    expect((await t.runtime.status(101)).running).toBe(false);
    expect(t.warnings).toEqual([]);
  });

  it('--fast kills at once without asking init', async () => {
    await t.create(101);
    const pid = await t.runtime.start(101);
    await t.runtime.stop(101, { fast: true });
    expect(t.fake.process(pid)!.signals).toEqual(['SIGKILL']);
    expect(t.fake.process(pid)!.exit).toEqual({ signal: 'SIGKILL' });
  });

  it('an init that ignores the halt is killed by the core after the timeout, with a warning', async () => {
    await t.create(101);
    const pid = await t.runtime.start(101);
    t.fake.processes.onSignal(pid, () => 'ignore');
    const started = Date.now();
    await t.runtime.stop(101, { timeoutMs: 300 });
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(3000);
    expect(t.fake.process(pid)!.signals).toEqual(['SIGUSR2', 'SIGKILL']);
    expect(t.fake.process(pid)!.exit).toEqual({ signal: 'SIGKILL' });
    expect(t.warnings).toEqual(['CT 101 [ns-pid]: init did not halt within 0.3 s, killing']);
    expect((await t.runtime.status(101)).running).toBe(false);
  });

  it('waits STOP_TIMEOUT seconds when the config sets it, whatever the caller asked', async () => {
    await t.create(101, { STOP_TIMEOUT: '1' });
    const pid = await t.runtime.start(101);
    t.fake.processes.onSignal(pid, () => 'ignore');
    const started = Date.now();
    await t.runtime.stop(101, { timeoutMs: 60_000 });
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(950);
    expect(took).toBeLessThan(5000);
    expect(t.warnings).toEqual(['CT 101 [ns-pid]: init did not halt within 1 s, killing']);
    expect(t.fake.process(pid)!.alive).toBe(false);
  });

  it('STOP_TIMEOUT=0 means the default wait', async () => {
    await t.create(101, { STOP_TIMEOUT: '0' });
    const pid = await t.runtime.start(101);
    t.fake.processes.onSignal(pid, () => 'ignore');
    await t.runtime.stop(101, { timeoutMs: 200 });
    expect(t.warnings).toEqual(['CT 101 [ns-pid]: init did not halt within 0.2 s, killing']);
  });
});

describe('--stop-timeout', () => {
  it('needs --save (as in vzctl), then is kept in the config', async () => {
    await t.create(101);
    await t.runtime.start(101);
    const e = await failure(t.runtime.set(101, [{ flag: 'stop-timeout', arg: '30' }]));
    expect(e.code).toBe('BAD_PARAM');
    expect(e.message).toContain('--stop-timeout needs --save');
    await t.runtime.set(101, [{ flag: 'stop-timeout', arg: '30' }], { save: true });
    expect(await readFile(`${t.runtime.paths.confDir}/101.conf`, 'utf8')).toContain('STOP_TIMEOUT="30"');
    expect((await t.runtime.config(101)).get(STOP_TIMEOUT)).toBe(30);
  });

  it('refuses a negative or non-numeric value', async () => {
    await t.create(101);
    for (const bad of ['-1', 'soon', '1.5']) {
      const e = await failure(t.runtime.set(101, [{ flag: 'stop-timeout', arg: bad }], { save: true }));
      expect(e.code).toBe('BAD_VALUE');
    }
  });
});
