import { describe, expect, it } from 'vitest';
import type { ChildOp, Namespace } from '@vzkit/core';
import { LaunchPlan } from '@vzkit/core';
import { FakeHost, type FakeHostOptions } from '../src/index.js';

const ROOT = '/vz/root/101';

/** A host with a minimal VE root directory (not mounted yet). */
function host(opts: FakeHostOptions = {}) {
  const fake = new FakeHost(opts);
  fake.fs.seed(`${ROOT}/sbin/init`, 'ELF', { mode: 0o755 }).seed(`${ROOT}/etc/motd`, 'hi\n').seedDir(`${ROOT}/proc`).seedDir(`${ROOT}/dev`).seedDir(`${ROOT}/tmp`);
  return fake;
}

function plan(namespaces: Namespace[], ...ops: ChildOp[]) {
  const p = new LaunchPlan(101);
  for (const ns of namespaces) p.namespaces.add(ns);
  p.add('rootfs', ...ops);
  return p.build();
}

const pivot: ChildOp[] = [
  { op: 'mount', source: ROOT, target: ROOT, fstype: '', flags: ['bind'] },
  { op: 'pivotRoot', root: ROOT },
];

async function startFails(fake: FakeHost, spec: ReturnType<typeof plan>) {
  let child = 0;
  const err = await fake.launcher.start(spec, async (pid) => { child = pid; }).then(() => undefined, (e: unknown) => e as Error & { errno?: string });
  return { err, child };
}

describe('FakeLauncher.start', () => {
  it('builds the child: devices, symlinks, files, cwd', async () => {
    const fake = host();
    const spec = plan(['mnt', 'pid'], ...pivot,
      { op: 'mount', source: 'tmpfs', target: '/dev', fstype: 'tmpfs', flags: ['nosuid'], data: 'mode=755' },
      { op: 'mknod', path: '/dev/null', kind: 'c', major: 1, minor: 3, mode: 0o666 },
      { op: 'symlink', target: '/proc/self/fd', path: '/dev/fd' },
      { op: 'write', path: '/etc/hostname', data: 'ct101\n' },
      { op: 'chdir', path: '/tmp' });
    const { pid } = await fake.launcher.start(spec, async () => {});
    const inside = fake.fsOf(pid);
    expect(inside.tree('/dev')).toEqual(['fd -> /proc/self/fd', 'null c 1:3']);
    expect(fake.fs.read(`${ROOT}/etc/hostname`)).toBe('ct101\n');
    // The host's /vz/root/101/dev is not where the VE's tmpfs went.
    expect(fake.fs.tree(`${ROOT}/dev`)).toEqual([]);
    expect(fake.process(pid)).toMatchObject({ cwd: '/', root: ROOT, ppid: 1 });
    expect(inside.tree('/', { xdev: true })).toContain('dev/');
  });

  it('in a user namespace: the maps are the spec\'s, and mknod of a device is refused', async () => {
    const fake = host();
    const map = [{ inside: 0, outside: 100000, count: 65536 }];
    const ok = plan(['user', 'mnt', 'pid'], ...pivot, { op: 'symlink', target: '/proc/self/fd', path: '/dev/fd' });
    ok.uidMap = map;
    const { pid } = await fake.launcher.start(ok, async () => {});
    expect(fake.process(pid)?.uidMap).toEqual(map);
    const spec = plan(['user', 'mnt', 'pid'], ...pivot, { op: 'mknod', path: '/dev/null', kind: 'c', major: 1, minor: 3, mode: 0o666 });
    spec.uidMap = map;
    const { err } = await startFails(fake, spec);
    expect(err).toMatchObject({ code: 'ENV_CREATE', errno: 'EPERM' });
    await expect(host({ maxUserNamespaces: 0 }).launcher.start(ok, async () => {})).rejects.toMatchObject({ errno: 'ENOSPC' });
  });

  it('a read-only /proc/sys keeps the keys of the VE namespaces writable', async () => {
    const fake = host();
    const bind = (path: string, ...flags: Array<'remount' | 'rdonly'>): ChildOp => ({ op: 'mount', source: path, target: path, fstype: '', flags: ['bind', ...flags] });
    const { pid } = await fake.launcher.start(plan(['mnt', 'uts', 'net', 'pid'], ...pivot,
      { op: 'mount', source: 'proc', target: '/proc', fstype: 'proc', flags: ['nosuid', 'nodev', 'noexec'] },
      bind('/proc/sys'), bind('/proc/sys', 'remount', 'rdonly'), bind('/proc/sys/net'), bind('/proc/sys/kernel/hostname'),
      { op: 'write', path: '/proc/sys/kernel/hostname', data: 'ct101' },
      { op: 'write', path: '/proc/sys/net/ipv4/ip_forward', data: '1' }), async () => {});
    expect(fake.process(pid)?.hostname).toBe('ct101');
    expect(fake.sysctl(pid, 'net.ipv4.ip_forward')).toBe('1');
    expect(fake.sysctl(fake.selfPid, 'net.ipv4.ip_forward')).toBe('0');
    await expect(fake.fsOf(pid).writeFile('/proc/sys/vm/swappiness', '10')).rejects.toMatchObject({ code: 'EROFS' });
    expect(fake.process(pid)?.mounts.map((m) => `${m.target} ${m.options}`)).toEqual([
      '/ rw,relatime', '/proc rw,nosuid,nodev,noexec,relatime', '/proc/sys ro,relatime', '/proc/sys/net rw,relatime', '/proc/sys/kernel/hostname rw,relatime',
    ]);
  });

  it('rejects with ENV_CREATE naming the failing op, and kills the child', async () => {
    const cases: Array<[ChildOp[], Namespace[], string, RegExp]> = [
      [[{ op: 'mkdir', path: '/vz/none/x', mode: 0o755 }], ['mnt'], 'ENOENT', /child op #0 mkdir \/vz\/none\/x: ENOENT/],
      [[{ op: 'sethostname', name: 'h'.repeat(65) }], ['uts'], 'EINVAL', /child op #0 sethostname h+: EINVAL/],
      [[{ op: 'rlimit', resource: 'nofile', soft: 10, hard: 5 }], [], 'EINVAL', /rlimit nofile: EINVAL/],
      [[{ op: 'capDrop', caps: [99] }], [], 'EINVAL', /capDrop 99/],
      [[{ op: 'pivotRoot', root: ROOT }], [], 'EINVAL', /pivotRoot/],
      [[{ op: 'pivotRoot', root: ROOT }], ['mnt'], 'EINVAL', /pivotRoot/],
      [[{ op: 'umount', target: '/vz', detach: false }], ['mnt'], 'EINVAL', /umount \/vz/],
      [[{ op: 'mount', source: 'none', target: '/vz', fstype: 'bogusfs', flags: [] }], ['mnt'], 'ENODEV', /mount \/vz: ENODEV/],
      [[{ op: 'chdir', path: '/vz/root/101/etc/motd' }], [], 'ENOTDIR', /chdir/],
    ];
    for (const [ops, namespaces, errno, message] of cases) {
      const fake = host();
      const { err, child } = await startFails(fake, plan(namespaces, ...ops));
      expect(err, message.source).toMatchObject({ code: 'ENV_CREATE', errno });
      expect(err?.message).toMatch(message);
      expect(fake.process(child)?.alive).toBe(false);
    }
  });

  it('init must exist and be executable in the new root', async () => {
    const fake = host();
    fake.fs.seed(`${ROOT}/sbin/noexec`, 'x', { mode: 0o644 });
    const missing = plan(['mnt'], ...pivot);
    missing.init = { argv: ['/sbin/nope'], env: [], cwd: '/' };
    expect((await startFails(fake, missing)).err).toMatchObject({ code: 'ENV_CREATE', errno: 'ENOENT', message: 'CT 101: exec /sbin/nope: ENOENT (no such file or directory)' });
    const noexec = plan(['mnt'], ...pivot);
    noexec.init = { argv: ['/sbin/noexec'], env: [], cwd: '/' };
    expect((await startFails(fake, noexec)).err).toMatchObject({ errno: 'EACCES' });
    // /sbin/init exists on the host too, but not in an empty root.
    fake.fs.seedDir('/vz/empty');
    const empty = plan(['mnt'], { op: 'mount', source: '/vz/empty', target: '/vz/empty', fstype: '', flags: ['bind'] }, { op: 'pivotRoot', root: '/vz/empty' });
    expect((await startFails(fake, empty)).err).toMatchObject({ errno: 'ENOENT' });
  });

  it('a failing attach kills the child and rejects with its error; failNext covers clone, ops and init', async () => {
    const fake = host();
    let child = 0;
    const boom = new Error('attach failed');
    await expect(fake.launcher.start(plan(['pid']), async (pid) => { child = pid; throw boom; })).rejects.toBe(boom);
    expect(fake.process(child)?.alive).toBe(false);
    fake.failNext('launch', 'ENOMEM');
    expect((await startFails(fake, plan(['pid']))).err).toMatchObject({ errno: 'ENOMEM', message: expect.stringMatching(/^CT 101: clone: ENOMEM \(/) });
    fake.failNext('op:write', 'ENOSPC');
    expect((await startFails(fake, plan([], { op: 'write', path: '/tmp/x', data: '' }))).err).toMatchObject({ errno: 'ENOSPC' });
    fake.failNext('mount', 'EPERM', { path: ROOT });
    expect((await startFails(fake, plan(['mnt'], ...pivot))).err).toMatchObject({ errno: 'EPERM', path: ROOT });
    fake.failNext('init', 'E2BIG');
    expect((await startFails(fake, plan([]))).err).toMatchObject({ errno: 'E2BIG' });
    expect(fake.pendingFaults()).toEqual([]);
  });
});

describe('FakeLauncher.exec', () => {
  async function running() {
    const fake = host();
    const { pid } = await fake.launcher.start(plan(['mnt', 'uts', 'pid'], ...pivot, { op: 'mount', source: 'proc', target: '/proc', fstype: 'proc', flags: [] }, { op: 'sethostname', name: 'ct101' }), async (p) => {
      await fake.cgroups.create('@self/t/101');
      await fake.cgroups.attach('@self/t/101', p);
    });
    const exec = (argv: string[], extra: Partial<Parameters<FakeHost['launcher']['exec']>[0]> = {}) =>
      fake.launcher.exec({ pid, namespaces: ['mnt', 'uts', 'pid'], argv, env: ['PATH=/bin'], stdio: 'pipe', cgroup: '@self/t/101', ...extra });
    return { fake, pid, exec };
  }

  it('runs built-ins in the VE: files, /proc, sysctl, hostname changes, shells', async () => {
    const { fake, pid, exec } = await running();
    expect((await exec(['cat', '/etc/motd'])).stdout).toBe('hi\n');
    expect(await exec(['cat', '/nope'])).toEqual({ code: 1, stdout: '', stderr: 'cat: /nope: No such file or directory\n' });
    expect((await exec(['cat', '/proc/1/cmdline'])).stdout).toBe('/sbin/init\0');
    expect((await exec(['ls', '/'])).stdout).toBe('dev\netc\nproc\nsbin\ntmp\n');
    expect((await exec(['sysctl', '-n', 'kernel.hostname'])).stdout).toBe('ct101\n');
    await exec(['hostname', 'renamed']);
    expect(fake.process(pid)?.hostname).toBe('renamed');
    expect(fake.process(fake.selfPid)?.hostname).toBe('fakehost');
    expect(await exec(['sh', '-c', "echo 'a b' && false || echo c; exit"])).toEqual({ code: 0, stdout: 'a b\nc\n', stderr: '' });
    expect((await exec(['sh'], { input: 'echo from stdin\nexit 4' }))).toMatchObject({ code: 4, stdout: 'from stdin\n' });
    expect(await exec(['true'], { stdio: 'inherit' })).toEqual({ code: 0 });
  });

  it('registered commands see the VE; processes end when the command does', async () => {
    const { fake, exec } = await running();
    fake.commands.register('whoami-ns', async (ctx) => ({ stdout: `${ctx.uts.hostname} ${ctx.processes().map((p) => p.pid).join(',')} ${await ctx.fs.readFile('/etc/motd')}` }));
    expect((await exec(['/usr/bin/whoami-ns'])).stdout).toMatch(/^ct101 1,\d+ hi\n$/);
    expect(fake.processes.list().filter((p) => p.argv[0] === '/usr/bin/whoami-ns')).toEqual([]);
  });

  it('joins the cgroup: counted against pids.max (EAGAIN when full); timeouts and VE death kill the command', async () => {
    const { fake, pid, exec } = await running();
    await fake.cgroups.set('@self/t/101', { pids: { max: 1 } });
    await expect(exec(['true'])).rejects.toMatchObject({ code: 'EXEC_FAILED', errno: 'EAGAIN' });
    await fake.cgroups.set('@self/t/101', { pids: { max: null } });
    expect(await exec(['sleep', '5'], { timeoutMs: 20 })).toMatchObject({ code: 137, signal: 'SIGKILL' });
    const slow = exec(['sleep', '5']);
    setTimeout(() => fake.processes.exit(pid, { code: 0 }), 10);
    expect(await slow).toMatchObject({ code: 137, signal: 'SIGKILL' });
    await expect(exec(['true'])).rejects.toMatchObject({ errno: 'ESRCH' });
  });

  it('fails with EXEC_FAILED for a missing cwd or cgroup', async () => {
    const { exec } = await running();
    await expect(exec(['true'], { cwd: '/nope' })).rejects.toMatchObject({ code: 'EXEC_FAILED', errno: 'ENOENT' });
    await expect(exec(['true'], { cgroup: '@self/none' })).rejects.toMatchObject({ code: 'EXEC_FAILED', errno: 'ENOENT' });
  });
});

describe('FakeLauncher.inject', () => {
  const tmpfsDev: ChildOp = { op: 'mount', source: 'tmpfs', target: '/dev', fstype: 'tmpfs', flags: [], data: 'mode=755' };
  const tun = { kind: 'c' as const, major: 10, minor: 200, mode: 0o600 };

  async function running(namespaces: Namespace[]) {
    const fake = host();
    fake.fs.seedDir('/dev/net');
    fake.fs.mknodSync('/dev/net/tun', 'c', 10, 200, 0o600);
    const spec = plan(namespaces, ...pivot, tmpfsDev);
    if (namespaces.includes('user')) spec.uidMap = spec.gidMap = [{ inside: 0, outside: 100000, count: 65536 }];
    const { pid } = await fake.launcher.start(spec, async () => {});
    return { fake, pid };
  }

  it('makes a node in a running VE of the host root, parents included, and leaves one that is there', async () => {
    const { fake, pid } = await running(['mnt', 'pid']);
    await fake.launcher.inject({ pid, namespaces: ['mnt'], ops: [{ op: 'devnode', path: '/dev/net/tun', ...tun }] });
    expect(fake.fsOf(pid).tree('/dev')).toEqual(['net/', 'net/tun c 10:200']);
    await fake.launcher.inject({ pid, namespaces: ['mnt'], ops: [{ op: 'devnode', path: '/dev/net/tun', ...tun, major: 1, minor: 3 }] });
    expect(fake.fsOf(pid).tree('/dev')).toEqual(['net/', 'net/tun c 10:200']);
  });

  it("in a user namespace mknod is EPERM, and a bind takes its source from the host's view", async () => {
    const { fake, pid } = await running(['user', 'mnt', 'pid']);
    await expect(fake.launcher.inject({ pid, namespaces: ['user', 'mnt'], ops: [{ op: 'devnode', path: '/dev/net/tun', ...tun }] }))
      .rejects.toMatchObject({ code: 'EXEC_FAILED', errno: 'EPERM', message: /op #0 devnode \/dev\/net\/tun/ });
    await fake.launcher.inject({ pid, namespaces: ['user', 'mnt'], ops: [{ op: 'devnode', path: '/dev/net/tun', ...tun, source: '/dev/net/tun' }] });
    expect(fake.process(pid)!.mounts.find((m) => m.target === '/dev/net/tun')?.fstype).toBe('devtmpfs');
    await fake.launcher.inject({ pid, namespaces: ['user', 'mnt'], ops: [{ op: 'umount', target: '/dev/net/tun', detach: true }] });
    expect(fake.process(pid)!.mounts.find((m) => m.target === '/dev/net/tun')).toBeUndefined();
  });

  it('takes only devnode, bind, umount and mkdir, and only into a live process', async () => {
    const { fake, pid } = await running(['mnt', 'pid']);
    await expect(fake.launcher.inject({ pid, namespaces: ['mnt'], ops: [{ op: 'mount', source: 'tmpfs', target: '/tmp', fstype: 'tmpfs', flags: [] }] }))
      .rejects.toMatchObject({ errno: 'EINVAL' });
    await expect(fake.launcher.inject({ pid: 99999, namespaces: ['mnt'], ops: [] })).rejects.toMatchObject({ errno: 'ESRCH' });
  });
});

describe('FakeFs.disks', () => {
  it("names the whole disk of a partition's filesystem, none for tmpfs", async () => {
    const fake = host();
    expect(await fake.fs.disks('/vz/root/101/etc')).toEqual([{ major: 254, minor: 0, name: 'vda' }]);
    expect(await fake.fs.disks('/run')).toEqual([]);
  });
});
