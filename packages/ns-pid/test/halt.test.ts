/**
 * How stop asks each kind of init to halt, on FakeHost. FakeHost's /proc has no `comm`
 * or `exe`, so a thin layer adds them as the kernel shows them: comm is the name init
 * was exec'd by, exe the binary it resolved to.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRuntime, definePlugin, resolvePaths, type Host, type HostFs, type Runtime } from '@vzkit/core';
import { FakeHost } from '@vzkit/fake-host';
import { nsPidPlugin } from '../src/index.js';

function withProcExe(fake: FakeHost, exeOf: Record<string, string>): Host {
  const initOf = (path: string, file: string) => {
    const m = new RegExp(`^/proc/(\\d+)/${file}$`).exec(path);
    const p = m ? fake.process(Number(m[1])) : undefined;
    if (m && !p?.alive) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return p;
  };
  const fs: HostFs = Object.assign(Object.create(fake.fs) as HostFs, {
    async readFile(path: string) {
      const p = initOf(path, 'comm');
      return p ? `${p.argv[0]!.split('/').pop()!.slice(0, 15)}\n` : fake.fs.readFile(path);
    },
    async readlink(path: string) {
      const p = initOf(path, 'exe');
      return p ? (exeOf[p.argv[0]!] ?? p.argv[0]!) : fake.fs.readlink(path);
    },
  });
  return { ...fake, fs };
}

const ownMountNs = definePlugin({
  name: 'test-mount-ns',
  hooks: {
    async prepare(_ctx, plan) {
      plan.namespaces.add('mnt');
    },
  },
});

let dir: string;
let fake: FakeHost;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vzkit-test-'));
  fake = new FakeHost();
  fake.fs.seed('/sbin/init', '', { mode: 0o755 });
  // The guest's telinit: it returns at once and init then halts, as sysvinit does.
  fake.commands.register('telinit', (c) => {
    const init = c.processes().find((p) => p.pid === 1);
    if (c.argv[1] !== '0' || !init) return 1;
    setTimeout(() => fake.processes.exit(init.hostPid, { signal: 'SIGINT' }), 10);
    return 0;
  });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function startVe(exe: string, opts: { mountNs: boolean }): Promise<{ runtime: Runtime; pid: number }> {
  const host = withProcExe(fake, { '/sbin/init': exe });
  const runtime = createRuntime({ host, plugins: [nsPidPlugin, ...(opts.mountNs ? [ownMountNs] : [])], paths: resolvePaths(dir) });
  await runtime.create(101, { ostemplate: 'test' });
  fake.fs.seedDir(join(runtime.paths.private, '101'));
  return { runtime, pid: await runtime.start(101) };
}

describe('stop asks init to halt', () => {
  it('systemd: SIGRTMIN+4', async () => {
    const { runtime, pid } = await startVe('/usr/lib/systemd/systemd', { mountNs: true });
    await runtime.stop(101, { timeoutMs: 2000 });
    expect(fake.process(pid)!.signals).toEqual(['SIGRTMIN+4']);
    expect(fake.process(pid)!.exit).toEqual({ signal: 'SIGINT' });
  });

  it('busybox init: SIGUSR2', async () => {
    const { runtime, pid } = await startVe('/bin/busybox', { mountNs: true });
    await runtime.stop(101, { timeoutMs: 2000 });
    expect(fake.process(pid)!.signals).toEqual(['SIGUSR2']);
  });

  it('sysvinit: telinit 0 inside, and init halts without a signal', async () => {
    const { runtime, pid } = await startVe('/sbin/init', { mountNs: true });
    await runtime.stop(101, { timeoutMs: 2000 });
    expect(fake.process(pid)!.signals).toEqual([]);
    expect(fake.process(pid)!.exit).toEqual({ signal: 'SIGINT' });
  });

  it('sysvinit without telinit in the guest: SIGINT', async () => {
    fake.commands.unregister('telinit');
    const { runtime, pid } = await startVe('/sbin/init', { mountNs: true });
    await runtime.stop(101, { timeoutMs: 2000 });
    expect(fake.process(pid)!.signals).toEqual(['SIGINT']);
    expect(fake.process(pid)!.alive).toBe(false);
  });

  it("sysvinit in a VE that shares the host's mount namespace: SIGINT, never the host's telinit", async () => {
    const { runtime, pid } = await startVe('/sbin/init', { mountNs: false });
    await runtime.stop(101, { timeoutMs: 2000 });
    expect(fake.process(pid)!.signals).toEqual(['SIGINT']);
  });
});
