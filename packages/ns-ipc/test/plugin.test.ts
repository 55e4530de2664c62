import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IPC_SYSCTLS, nsIpcPlugin } from '../src/index.js';
import { fakeVe, type FakeVe } from '@vzkit/fake-host';

let t: FakeVe;
beforeEach(async () => {
  t = await fakeVe([nsIpcPlugin]);
});
afterEach(async () => {
  await t.cleanup();
});

describe('start', () => {
  it('gives init its own IPC namespace: SysV objects of the host and of the VE do not see each other', async () => {
    await t.create(101);
    t.fake.processes.addIpcObject(t.fake.selfPid, { kind: 'shm', key: 0x1234, size: 4096 });
    const pid = await t.runtime.start(101);
    expect(t.fake.process(pid)!.namespaces.ipc).not.toBe(t.fake.process(t.fake.selfPid)!.namespaces.ipc);
    expect(t.fake.process(pid)!.ipc).toEqual([]);
    t.fake.processes.addIpcObject(pid, { kind: 'msg', key: 0x5678, size: 0 });
    expect(t.fake.process(t.fake.selfPid)!.ipc.map((o) => o.key)).toEqual([0x1234]);
    const inside = await t.runtime.exec(101, { argv: ['cat', '/proc/sysvipc/msg'], stdio: 'pipe' });
    expect(inside.stdout).toContain(String(0x5678));
  });

  it("gives two VEs separate IPC namespaces and IPC limits of their own", async () => {
    await t.create(101);
    await t.create(102);
    const a = await t.runtime.start(101);
    const b = await t.runtime.start(102);
    expect(t.fake.process(a)!.namespaces.ipc).not.toBe(t.fake.process(b)!.namespaces.ipc);
    const r = await t.runtime.exec(101, { argv: ['sysctl', 'kernel.shmmni=8192'], stdio: 'pipe' });
    expect(r.code).toBe(0);
    expect(t.fake.sysctl(a, 'kernel.shmmni')).toBe('8192');
    expect(t.fake.sysctl(b, 'kernel.shmmni')).toBe('4096');
    expect(t.fake.sysctl(t.fake.selfPid, 'kernel.shmmni')).toBe('4096');
  });

  it('keeps the IPC sysctls writable inside', async () => {
    await t.create(101);
    await t.runtime.start(101);
    const plan = t.plan()!;
    expect(plan.namespaces).toContain('ipc');
    expect([...plan.writableProcSys].sort()).toEqual([...IPC_SYSCTLS].sort());
    expect(plan.writableProcSys).toEqual(new Set([
      'kernel/shmmax', 'kernel/shmall', 'kernel/shmmni', 'kernel/shm_rmid_forced',
      'kernel/msgmax', 'kernel/msgmnb', 'kernel/msgmni', 'kernel/sem', 'fs/mqueue',
    ]));
  });
});
