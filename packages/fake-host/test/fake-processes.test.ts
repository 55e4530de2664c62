import { describe, expect, it } from 'vitest';
import { LaunchPlan } from '@vzkit/core';
import { FakeHost } from '../src/index.js';

async function startInit(fake: FakeHost, namespaces: Array<'pid' | 'uts' | 'mnt'> = ['pid']) {
  fake.fs.seed('/sbin/init', 'ELF', { mode: 0o755 });
  const plan = new LaunchPlan(101);
  for (const ns of namespaces) plan.namespaces.add(ns);
  return (await fake.launcher.start(plan.build(), async () => {})).pid;
}

describe('FakeProcesses', () => {
  it('knows the calling process and host init; pids of new processes grow from 1000', async () => {
    const fake = new FakeHost();
    expect(await fake.processes.alive(fake.selfPid)).toBe(true);
    expect(fake.process(1)?.argv).toEqual(['/sbin/init']);
    const a = fake.processes.spawn(fake.selfPid, ['a']);
    const b = fake.processes.spawn(fake.selfPid, ['b']);
    expect(a).toBeGreaterThanOrEqual(1000);
    expect(b).toBeGreaterThan(a);
    expect(fake.process(a)).toMatchObject({ ppid: fake.selfPid, nsPid: a, argv: ['a'] });
    expect(fake.processes.list().map((p) => p.pid)).toEqual(expect.arrayContaining([1, fake.selfPid, a, b]));
  });

  it('checks start times against pid reuse', async () => {
    const fake = new FakeHost();
    const pid = fake.processes.spawn(fake.selfPid);
    const start = (await fake.processes.startTime(pid))!;
    expect(await fake.processes.alive(pid, start)).toBe(true);
    expect(await fake.processes.alive(pid, start + 1)).toBe(false);
    fake.advanceTime(10);
    expect(await fake.system.uptime()).toBeGreaterThan(start / fake.system.clockTicks + 9);
    fake.processes.exit(pid, { code: 0 });
    expect(await fake.processes.startTime(pid)).toBeUndefined();
    expect(await fake.processes.namespaceId(pid, 'pid')).toBeUndefined();
  });

  it('default actions: SIGTERM ends a process, SIGCHLD is ignored, a VE init ignores what it has no use for', async () => {
    const fake = new FakeHost();
    const pid = fake.processes.spawn(fake.selfPid);
    await fake.processes.signal(pid, 'SIGCHLD');
    expect(fake.process(pid)?.alive).toBe(true);
    await fake.processes.signal(pid, 15);
    expect(fake.process(pid)).toMatchObject({ alive: false, exit: { signal: 'SIGTERM' }, signals: ['SIGCHLD', 'SIGTERM'] });
    const init = await startInit(fake);
    await fake.processes.signal(init, 'SIGHUP');
    await fake.processes.signal(init, 'SIGUSR1');
    expect(fake.process(init)?.alive).toBe(true);
    await fake.processes.signal(init, 38); // SIGRTMIN+4, as ns-pid sends it
    expect(fake.process(init)).toMatchObject({ alive: false, exit: { signal: 'SIGINT' }, signals: ['SIGHUP', 'SIGUSR1', 'SIGRTMIN+4'] });
  });

  it('a handler decides: ignore, reboot, exit code; 0 only probes', async () => {
    const fake = new FakeHost();
    const init = await startInit(fake);
    fake.processes.onSignal(init, (sig) => (sig === 'SIGTERM' ? 'ignore' : sig === 'SIGHUP' ? 'reboot' : 'default'));
    await fake.processes.signal(init, 'SIGTERM');
    expect(await fake.processes.signal(init, 0)).toBe(true);
    expect(fake.process(init)?.alive).toBe(true);
    await fake.processes.signal(init, 'SIGHUP');
    expect(fake.process(init)?.exit).toEqual({ signal: 'SIGHUP' });
    const p = fake.processes.spawn(fake.selfPid);
    fake.processes.onSignal(p, () => ({ exit: 3 }));
    await fake.processes.signal(p, 'SIGINT');
    expect(fake.process(p)?.exit).toEqual({ code: 3 });
    const q = fake.processes.spawn(fake.selfPid);
    fake.processes.onSignal(q, () => 'exit');
    await fake.processes.signal(q, 'SIGUSR1');
    expect(fake.process(q)?.exit).toEqual({ code: 0 });
    await expect(fake.processes.signal(fake.selfPid, 'SIGBOGUS' as NodeJS.Signals)).rejects.toMatchObject({ errno: 'EINVAL' });
  });

  it('when a pid namespace init dies, everything in the namespace dies, nested ones too', async () => {
    const fake = new FakeHost();
    const init = await startInit(fake);
    const child = fake.processes.spawn(init, ['/bin/sh']);
    const grandchild = fake.processes.spawn(child, ['sleep']);
    const outside = fake.processes.spawn(fake.selfPid);
    expect(fake.process(grandchild)?.nsPid).toBe(3);
    fake.processes.exit(init, { code: 0 });
    expect(fake.process(child)?.alive).toBe(false);
    expect(fake.process(grandchild)?.alive).toBe(false);
    expect(fake.process(outside)?.alive).toBe(true);
    // No process can be added to a namespace whose init is gone.
    const err = await fake.launcher.exec({ pid: init, namespaces: ['pid'], argv: ['true'], env: [] }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'EXEC_FAILED', errno: 'ESRCH' });
  });

  it('waitExit resolves at once for the dead, on exit for the living, false on timeout', async () => {
    const fake = new FakeHost();
    const pid = fake.processes.spawn(fake.selfPid);
    expect(await fake.processes.waitExit(pid, 5)).toBe(false);
    const waiting = fake.processes.waitExit(pid, 5000);
    setTimeout(() => void fake.processes.signal(pid, 'SIGKILL'), 5);
    expect(await waiting).toBe(true);
    expect(await fake.processes.waitExit(pid, 0)).toBe(true);
    expect(await fake.processes.waitExit(424242, 0)).toBe(true);
  });

  it('SysV objects belong to the ipc namespace they were made in', async () => {
    const fake = new FakeHost();
    fake.fs.seed('/sbin/init', 'ELF', { mode: 0o755 });
    const plan = new LaunchPlan(101);
    plan.namespaces.add('ipc');
    const { pid } = await fake.launcher.start(plan.build(), async () => {});
    fake.processes.addIpcObject(fake.selfPid, { kind: 'shm', key: 0x1234, size: 4096 });
    fake.processes.addIpcObject(pid, { kind: 'sem', key: 7, size: 3 });
    expect(fake.process(pid)?.ipc).toEqual([{ kind: 'sem', key: 7, id: 0, size: 3 }]);
    expect(await fake.fsOf(pid).readFile('/proc/sysvipc/shm')).not.toContain('4660');
    expect(await fake.fs.readFile('/proc/sysvipc/shm')).toContain('      4660          0');
  });
});
