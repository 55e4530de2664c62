import { copyFile, mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LaunchSpec, Namespace } from '@vzkit/core';
import { NativeLauncher } from '../src/launcher/launcher.js';
import { parseMountInfo } from '../src/mounts.js';
import { LinuxProcessService } from '../src/process.js';
import { buildLauncher } from './native-build.js';

const processes = new LinuxProcessService();
const NS: Namespace[] = ['mnt', 'uts', 'ipc', 'pid'];
const ENV = ['PATH=/bin'];
const APPLETS = ['sh', 'ps', 'cat', 'hostname', 'sleep', 'ls'];

let launcher: NativeLauncher;
let root: string;
let pid = 0;

/** A root filesystem of one static busybox and its applet links. */
async function buildRoot(dir: string): Promise<void> {
  await mkdir(join(dir, 'bin'), { recursive: true });
  await mkdir(join(dir, 'proc'));
  await copyFile('/bin/busybox', join(dir, 'bin/busybox'));
  for (const applet of APPLETS) await symlink('busybox', join(dir, 'bin', applet));
}

beforeAll(async () => {
  launcher = new NativeLauncher({ path: buildLauncher(), processes });
  root = await mkdtemp(join(tmpdir(), 'vzkit-pivot-'));
  await buildRoot(root);
  const spec: LaunchSpec = {
    ctid: 9002,
    namespaces: NS,
    ops: [
      // pivot_root needs the new root to be a mount point.
      { op: 'mount', source: root, target: root, fstype: '', flags: ['bind', 'rec'] },
      { op: 'mount', source: 'proc', target: join(root, 'proc'), fstype: 'proc', flags: ['nosuid', 'nodev', 'noexec'] },
      { op: 'pivotRoot', root },
      { op: 'sethostname', name: 'pivoted' },
    ],
    init: { argv: ['/bin/sleep', '60'], env: ENV, cwd: '/' },
  };
  pid = (await launcher.start(spec, async () => {})).pid;
});

afterAll(async () => {
  if (pid) {
    await processes.signal(pid, 'SIGKILL');
    await processes.waitExit(pid, 5000);
  }
  // The VE's mounts lived in its own namespace: nothing of them is left on the host.
  const hostMounts = parseMountInfo(await readFile('/proc/self/mountinfo', 'utf8'));
  expect(hostMounts.filter((m) => m.target.startsWith(root))).toEqual([]);
  await rm(root, { recursive: true, force: true });
});

const exec = (argv: string[]) => launcher.exec({ pid, namespaces: NS, argv, env: ENV, stdio: 'pipe' });

describe('pivot_root into a busybox root', () => {
  it('runs init as PID 1 of the VE', async () => {
    const ps = await exec(['ps', '-o', 'pid,args']);
    expect(ps.code).toBe(0);
    const lines = ps.stdout!.trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/));
    expect(lines.find((f) => f[0] === '1')?.slice(1)).toEqual(['/bin/sleep', '60']);
    // Only init and ps itself: no host process is visible.
    expect(lines.length).toBe(2);
  });

  it('shows only the VE root and its /proc in the mount table, no host path', async () => {
    const mounts = await exec(['cat', '/proc/mounts']);
    const targets = mounts.stdout!.trim().split('\n').map((l) => l.split(' ')[1]);
    expect(targets).toEqual(['/', '/proc']);
    expect(mounts.stdout).not.toContain(root);
    expect((await exec(['ls', '/'])).stdout!.split(/\s+/).filter(Boolean).sort()).toEqual(['bin', 'proc']);
  });

  it('has the hostname set after the pivot', async () => {
    expect((await exec(['hostname'])).stdout).toBe('pivoted\n');
  });
});
