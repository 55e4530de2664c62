/** ns-ipc on the real kernel: SysV IPC objects of the VE and of the host do not see each other. */
import { execFileSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nsIpcPlugin } from '../src/index.js';
import { haltingInit, linuxVe, type LinuxVe } from '@vzkit/linux/testing';

const canRun = process.getuid?.() === 0;
let t: LinuxVe;
const hostSegments: string[] = [];

/** `ipcs -m` rows as [key, shmid]. */
function shmRows(text: string): Array<[string, string]> {
  return text.split('\n').flatMap((l) => {
    const m = /^(0x[0-9a-f]+)\s+(\d+)\s/.exec(l);
    return m ? [[m[1]!, m[2]!] as [string, string]] : [];
  });
}

describe.skipIf(!canRun)('ns-ipc on this kernel', () => {
  beforeEach(async () => {
    t = await linuxVe([nsIpcPlugin]);
  });
  afterEach(async () => {
    for (const id of hostSegments.splice(0)) execFileSync('ipcrm', ['-m', id]);
    await t.cleanup();
  });

  it('gives the VE its own SysV IPC', async () => {
    const ctid = await t.create(haltingInit('/dev/null'));
    const pid = await t.runtime.start(ctid);
    expect(await t.host.processes.namespaceId(pid, 'ipc')).not.toBe(await t.host.processes.namespaceId(process.pid, 'ipc'));

    // A segment of the host's, which the VE must not see.
    const hostId = /(\d+)/.exec(execFileSync('ipcmk', ['-M', '4096'], { encoding: 'utf8' }))![1]!;
    hostSegments.push(hostId);
    const hostKey = shmRows(execFileSync('ipcs', ['-m'], { encoding: 'utf8' })).find(([, id]) => id === hostId)![0];

    const made = await t.sh(ctid, 'ipcmk -M 4096');
    expect(made.code).toBe(0);
    const id = /Shared memory id: (\d+)/.exec(made.stdout!)![1]!;
    const inside = shmRows((await t.sh(ctid, 'ipcs -m')).stdout!);
    expect(inside.map(([, i]) => i)).toEqual([id]);
    const key = inside[0]![0];
    expect(key).not.toBe(hostKey);

    const onHost = shmRows(execFileSync('ipcs', ['-m'], { encoding: 'utf8' }));
    expect(onHost.map(([k]) => k)).not.toContain(key);
    expect(onHost.map(([k]) => k)).toContain(hostKey);
  });

  it('lets the VE change its own IPC limits, not the host\'s', async () => {
    const ctid = await t.create(haltingInit('/dev/null'));
    await t.runtime.start(ctid);
    const hostValue = execFileSync('cat', ['/proc/sys/kernel/shmmni'], { encoding: 'utf8' });
    const r = await t.sh(ctid, 'echo 1234 > /proc/sys/kernel/shmmni && cat /proc/sys/kernel/shmmni');
    expect(r).toMatchObject({ code: 0, stdout: '1234\n' });
    expect(execFileSync('cat', ['/proc/sys/kernel/shmmni'], { encoding: 'utf8' })).toBe(hostValue);
  });
});
