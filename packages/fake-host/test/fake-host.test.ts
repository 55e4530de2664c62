import { describe, expect, it } from 'vitest';
import { LaunchPlan } from '@vzkit/core';
import { FakeHost, errnoOf } from '../src/index.js';

/** A VE the way ns-fs/ns-uts/ns-pid would build it: overlay root on a template, pivot, /proc. */
function veSetup(fake: FakeHost, ctid = 101) {
  const tpl = '/var/lib/vzkit/template/busybox';
  const priv = `/var/lib/vzkit/private/${ctid}`;
  const root = `/var/lib/vzkit/root/${ctid}`;
  fake.fs.seed(`${tpl}/bin/busybox`, 'ELF', { mode: 0o755 });
  fake.fs.seedLink(`${tpl}/sbin/init`, '../bin/busybox');
  fake.fs.seed(`${tpl}/etc/hostname`, 'template\n');
  fake.fs.seedDir(`${tpl}/proc`);
  fake.fs.seedDir(`${priv}/upper`).seedDir(`${priv}/work`).seedDir(root);
  return { tpl, priv, root };
}

async function startVe(fake: FakeHost, ctid = 101) {
  const paths = veSetup(fake, ctid);
  await fake.mounts.mount({ source: 'overlay', target: paths.root, fstype: 'overlay', data: `lowerdir=${paths.tpl},upperdir=upper,workdir=work`, cwd: paths.priv });
  const plan = new LaunchPlan(ctid);
  for (const ns of ['mnt', 'uts', 'ipc', 'pid'] as const) plan.namespaces.add(ns);
  plan.add('early', { op: 'sethostname', name: `ct${ctid}` });
  plan.add('rootfs', { op: 'mount', source: paths.root, target: paths.root, fstype: '', flags: ['bind', 'rec'] });
  plan.add('pivot', { op: 'pivotRoot', root: paths.root });
  plan.add('procfs', { op: 'mount', source: 'proc', target: '/proc', fstype: 'proc', flags: ['nosuid', 'nodev', 'noexec'] });
  plan.add('procfs', { op: 'write', path: '/proc/sys/kernel/shmmax', data: '1048576' });
  plan.add('final', { op: 'rlimit', resource: 'nofile', soft: 1024, hard: 4096 });
  plan.add('final', { op: 'capDrop', caps: [16, 17] });
  const attached: number[] = [];
  const res = await fake.launcher.start(plan.build(), async (pid) => {
    attached.push(pid);
    await fake.cgroups.create(`@self/vzkit-test/${ctid}`);
    await fake.cgroups.attach(`@self/vzkit-test/${ctid}`, pid);
  });
  return { ...paths, ...res, attached };
}

describe('FakeHost: a VE from start to stop', () => {
  it('runs the launch plan in the child and leaves the resulting state', async () => {
    const fake = new FakeHost();
    const ve = await startVe(fake);
    expect(ve.attached).toEqual([ve.pid]);
    const p = fake.process(ve.pid)!;
    expect(p).toMatchObject({ alive: true, nsPid: 1, hostname: 'ct101', root: ve.root, argv: ['/sbin/init'], cgroup: '/user.slice/fake-session/vzkit-test/101' });
    expect(p.rlimits.nofile).toEqual({ soft: 1024, hard: 4096 });
    expect(p.capBounding).not.toContain(16);
    expect(p.capBounding).toContain(21);
    // New namespaces differ from the host's; the others are shared.
    const host = fake.process(fake.selfPid)!;
    for (const ns of ['mnt', 'uts', 'ipc', 'pid'] as const) expect(p.namespaces[ns]).not.toBe(host.namespaces[ns]);
    expect(p.namespaces.net).toBe(host.namespaces.net);
    expect(await fake.processes.namespaceId(ve.pid, 'uts')).toMatch(/^uts:\[\d+\]$/);
    // No host mount is left in the VE: only its root and /proc.
    expect(p.mounts.map((m) => `${m.target} ${m.fstype}`)).toEqual(['/ overlay', '/proc proc']);
    // The host keeps its hostname and ipc sysctls; the VE has its own.
    expect(host.hostname).toBe('fakehost');
    expect(fake.sysctl(ve.pid, 'kernel.shmmax')).toBe('1048576');
    expect(fake.sysctl(fake.selfPid, 'kernel.shmmax')).toBe('18446744073692774399');
    expect(await fake.processes.startTime(ve.pid)).toBe(ve.startTime);
  });

  it('writes in the VE land in the private area, the template stays untouched', async () => {
    const fake = new FakeHost();
    const ve = await startVe(fake);
    const inside = fake.fsOf(ve.pid);
    await inside.writeFile('/etc/hostname', 'ct101\n');
    await inside.mkdir('/root/data', { recursive: true });
    expect(fake.fs.read(`${ve.priv}/upper/etc/hostname`)).toBe('ct101\n');
    expect(fake.fs.read(`${ve.tpl}/etc/hostname`)).toBe('template\n');
    expect(fake.fs.tree(`${ve.priv}/upper`)).toEqual(['etc/', 'etc/hostname', 'root/', 'root/data/']);
    // The host sees the same files through the VE root mount.
    expect(fake.fs.read(`${ve.root}/etc/hostname`)).toBe('ct101\n');
    expect(await inside.readFile('/proc/sys/kernel/hostname')).toBe('ct101\n');
  });

  it('exec runs commands in the VE namespaces', async () => {
    const fake = new FakeHost();
    const ve = await startVe(fake);
    const exec = (argv: string[]) => fake.launcher.exec({ pid: ve.pid, namespaces: ['mnt', 'uts', 'ipc', 'pid'], argv, env: [], stdio: 'pipe' });
    expect(await exec(['hostname'])).toEqual({ code: 0, stdout: 'ct101\n', stderr: '' });
    const ps = await exec(['ps']);
    // pid 2 went to the `hostname` before: numbers are not reused at once, as in the kernel.
    expect(ps.stdout).toBe('  PID USER     COMMAND\n    1 root     /sbin/init\n    3 root     ps\n');
    expect((await exec(['cat', '/proc/self/mounts'])).stdout).toBe('overlay / overlay rw,relatime,lowerdir=/var/lib/vzkit/template/busybox,upperdir=upper,workdir=work 0 0\nproc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n');
    expect(await exec(['sh', '-c', 'exit 3'])).toMatchObject({ code: 3 });
    expect(await exec(['nope'])).toEqual({ code: 127, stdout: '', stderr: 'sh: nope: not found\n' });
    // Without the uts namespace the command sees the host's hostname.
    expect((await fake.launcher.exec({ pid: ve.pid, namespaces: ['mnt'], argv: ['hostname'], env: [], stdio: 'pipe' })).stdout).toBe('fakehost\n');
  });

  it('stop: init halts on SIGUSR2 and takes its pid namespace along', async () => {
    const fake = new FakeHost();
    const ve = await startVe(fake);
    const daemon = fake.processes.spawn(ve.pid, ['/usr/sbin/sshd']);
    expect(fake.process(daemon)).toMatchObject({ nsPid: 2, cgroup: '/user.slice/fake-session/vzkit-test/101' });
    expect((await fake.cgroups.stats('@self/vzkit-test/101')).pids?.current).toBe(2);
    expect(await fake.processes.signal(ve.pid, 'SIGUSR2')).toBe(true);
    expect(await fake.processes.waitExit(ve.pid, 10)).toBe(true);
    expect(fake.process(ve.pid)?.exit).toEqual({ signal: 'SIGINT' });
    expect(fake.process(daemon)).toMatchObject({ alive: false, exit: { signal: 'SIGKILL' } });
    expect(await fake.processes.alive(ve.pid, ve.startTime)).toBe(false);
    expect(await fake.processes.signal(ve.pid, 'SIGKILL')).toBe(false);
    await fake.cgroups.destroy('@self/vzkit-test/101');
    expect(await fake.cgroups.exists('@self/vzkit-test/101')).toBe(false);
  });

  it('destroy of a still-mounted VE: remove refuses to cross the mount point', async () => {
    const fake = new FakeHost();
    const ve = await startVe(fake);
    fake.fs.seed(`${ve.priv}/upper/keep`, 'x');
    const err = await fake.fs.remove('/var/lib/vzkit', { recursive: true }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'EBUSY', path: ve.root, syscall: 'rm' });
    expect(fake.fs.read(`${ve.priv}/upper/keep`)).toBe('x');
    await fake.mounts.umount(ve.root);
    await fake.fs.remove('/var/lib/vzkit', { recursive: true });
    expect(await fake.fs.exists('/var/lib/vzkit')).toBe(false);
  });

  it('a failing child op kills the child and names the op', async () => {
    const fake = new FakeHost();
    veSetup(fake);
    const plan = new LaunchPlan(101);
    plan.namespaces.add('mnt').add('pid');
    plan.add('rootfs', { op: 'mkdir', path: '/var/lib/vzkit/root/101/dev', mode: 0o755 });
    plan.add('rootfs', { op: 'mount', source: '/no/such/dir', target: '/var/lib/vzkit/root/101/dev', fstype: '', flags: ['bind'] });
    let pid = 0;
    const err = await fake.launcher.start(plan.build(), async (p) => { pid = p; }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ENV_CREATE', errno: 'ENOENT' });
    expect((err as Error).message).toBe('CT 101: child op #1 mount /var/lib/vzkit/root/101/dev: ENOENT (no such file or directory)');
    expect(fake.process(pid)).toMatchObject({ alive: false, exit: { signal: 'SIGKILL' } });
    // The mkdir ran in the child's mount namespace, which is a copy of the host's: the host sees the directory.
    expect(await fake.fs.exists('/var/lib/vzkit/root/101/dev')).toBe(true);
    expect(errnoOf(err)).toBe('ENOENT');
  });
});
