import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Namespace } from '@vzkit/core';
import { createLinuxHost, type LinuxHost } from '../src/linux-host.js';
import { buildLauncher } from './native-build.js';

const NS: Namespace[] = ['mnt', 'uts', 'ipc', 'pid'];
const ENV = ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'];
const parent = `@self/vzkit-test-${process.pid}`;
const group = `${parent}/ve`;

let host: LinuxHost;
let pid = 0;

/** /proc/PID/cgroup lines of the controller hierarchies (named and unified ones aside). */
function controllerLines(procCgroup: string): string[] {
  return procCgroup.trim().split('\n').filter((l) => !l.startsWith('0::') && !l.includes('name=')).sort();
}

beforeAll(async () => {
  host = await createLinuxHost({ launcherPath: buildLauncher() });
  await host.cgroups.create(group);
  pid = (
    await host.launcher.start(
      { ctid: 9003, namespaces: NS, ops: [{ op: 'sethostname', name: 'host-it' }], init: { argv: ['/bin/sleep', '60'], env: ENV, cwd: '/' } },
      (p) => host.cgroups.attach(group, p),
    )
  ).pid;
});

afterAll(async () => {
  if (pid) {
    await host.processes.signal(pid, 'SIGKILL');
    await host.processes.waitExit(pid, 5000);
  }
  await host.cgroups.destroy(group);
  await host.cgroups.destroy(parent);
});

describe('LinuxHost', () => {
  it('puts init into its cgroup during attach, before it runs', async () => {
    expect(await host.cgroups.pids(group)).toEqual([pid]);
  });

  it('joins the VE cgroups and namespaces in exec', async () => {
    const r = await host.launcher.exec({ pid, namespaces: NS, cgroup: group, argv: ['sh', '-c', 'hostname; cat /proc/self/cgroup'], env: ENV, stdio: 'pipe' });
    expect(r.code).toBe(0);
    const [name, ...rest] = r.stdout!.trim().split('\n');
    expect(name).toBe('host-it');
    expect(controllerLines(rest.join('\n'))).toEqual(controllerLines(await readFile(`/proc/${pid}/cgroup`, 'utf8')));
  });

  it('reports system facts', async () => {
    expect(host.system.pageSize).toBe(4096);
    expect(host.system.clockTicks).toBe(100);
    expect(host.system.cpus).toBeGreaterThan(0);
    expect(await host.system.uptime()).toBeGreaterThan(0);
  });
});
