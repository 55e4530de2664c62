/**
 * The escape suite: root inside a VE tries what would reach the host or another VE, and
 * each attempt is refused; every case names the mechanism that stops it. Raw-socket
 * spoofing of another VE's address is in net.it.test.ts (it needs a network of the
 * test's own). Each attempt is made from a VE of the host root and from a user-namespaced
 * one; escapes through the mount table (a procfs of its own, cgroups, /sys) are in
 * escape-mounts.it.test.ts, those through the launcher in launcher-catcher.it.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RealCli } from './real-cli.js';

const cli = new RealCli('escape');
const vzctl = cli.vzctl.bind(cli);
const probeSource = fileURLToPath(new URL('./fixtures/syscall-probe.c', import.meta.url));
/** Host range of the user-namespaced VEs: no account's, unlikely another test's. */
const LOCAL = 2_000_000 + ((cli.base + 7) % 1000) * 65536;

/** Two VEs of each kind: A attacks, B is the neighbour. */
const VARIANTS = [
  { kind: 'a VE of the host root (--local_uid 0)', userns: false, A: cli.base, B: cli.base + 1, flags: ['--local_uid', '0'] },
  { kind: 'a user-namespaced VE (--local_uid)', userns: true, A: cli.base + 2, B: cli.base + 3, flags: ['--local_uid', String(LOCAL)] },
];

beforeAll(async () => {
  await cli.setup();
  execFileSync('cc', ['-static', '-O2', '-o', join(cli.root, 'probe'), probeSource]);
  for (const v of VARIANTS) {
    for (const id of [v.A, v.B]) {
      expect((await vzctl(['create', String(id), '--ostemplate', 'busybox', ...v.flags])).code).toBe(0);
      const bin = join(cli.root, 'var/lib/vzkit/private', String(id), 'fs/usr/local/bin');
      await mkdir(bin, { recursive: true });
      await copyFile(join(cli.root, 'probe'), join(bin, 'probe'));
      expect((await vzctl(['start', String(id)])).code).toBe(0);
    }
  }
}, 120_000);
afterAll(async () => {
  for (const v of VARIANTS) for (const id of [v.A, v.B]) await cli.cleanupVe(id);
  await cli.teardown();
}, 120_000);

describe.each(VARIANTS)('escape attempts by root inside $kind', ({ userns, A, B }) => {
  /** `vzctl exec` in A; stdout and stderr together, for the refusal's own words. */
  const inA = async (cmd: string) => {
    const r = await vzctl(['exec2', String(A), `( ${cmd} ) 2>&1`]);
    return { code: r.code, out: r.stdout };
  };
  const probe = async (...calls: string[]) =>
    Object.fromEntries((await inA(`/usr/local/bin/probe ${calls.join(' ')}`)).out.trim().split('\n').map((l) => l.split(' ')));

  it("mounting the host's disk: the node can be made (in a user namespace not even that), not opened (devices cgroup)", async () => {
    const dev = (await stat(cli.root)).dev;
    const [major, minor] = [Math.floor(dev / 256) & 0xfff, (dev & 0xff) | ((dev >> 12) & 0xfff00)];
    const node = await inA(`mknod /tmp/disk b ${major} ${minor}`);
    if (userns) {
      expect(node.code).not.toBe(0);
      expect(node.out).toMatch(/Operation not permitted/);
      return;
    }
    expect(node.code).toBe(0);
    const m = await inA('mkdir -p /mnt/host && mount /tmp/disk /mnt/host');
    expect(m.code).not.toBe(0);
    expect(m.out).toMatch(/operation not permitted|permission denied/i);
    expect((await inA('head -c 512 /tmp/disk >/dev/null')).code).not.toBe(0);
  });

  it('loading a module, kexec, bpf and keyrings: refused with EPERM (seccomp, and no sys_module)', async () => {
    expect(await probe('init_module', 'kexec_load', 'bpf', 'keyctl', 'open_by_handle_at')).toEqual({
      init_module: 'EPERM', kexec_load: 'EPERM', bpf: 'EPERM', keyctl: 'EPERM', open_by_handle_at: 'EPERM',
    });
  });

  it("changing the host's time: EPERM (no sys_time)", async () => {
    expect(await probe('settimeofday')).toEqual({ settimeofday: 'EPERM' });
  });

  it('rebooting the host: reboot(2) in the VE acts on its pid namespace only (EINVAL for anything but restart/halt)', async () => {
    expect(await probe('reboot')).toEqual({ reboot: 'EINVAL' });
  });

  it('writing protected /proc/sys keys: read-only (ns-fs), while the net keys the VE owns are writable', async () => {
    const hostPanic = execFileSync('cat', ['/proc/sys/kernel/panic']).toString();
    const w = await inA('echo 77 > /proc/sys/kernel/panic');
    expect(w.code).not.toBe(0);
    expect(w.out).toMatch(/Read-only file system/);
    expect((await inA('echo 1 > /proc/sys/net/ipv4/ip_forward && cat /proc/sys/net/ipv4/ip_forward')).out.trim()).toBe('1');
    expect(execFileSync('cat', ['/proc/sys/kernel/panic']).toString()).toBe(hostPanic);
  });

  it('reading /proc/kcore and other kernel views: masked (ns-fs)', async () => {
    // Where the kernel has no kcore there is nothing to mask.
    const kcore = await stat('/proc/kcore').then(() => true, () => false);
    if (kcore) expect((await inA('wc -c < /proc/kcore')).out.trim()).toBe('0');
    expect((await inA('wc -c < /proc/timer_list')).out.trim()).toBe('0');
    expect((await inA('cat /proc/sysrq-trigger; echo b > /proc/sysrq-trigger')).code).not.toBe(0);
  });

  it("reaching another VE's files or a host process: invisible (pid namespace)", async () => {
    const pidB = await cli.initPid(B);
    expect((await inA(`ls /proc/${pidB}/root/`)).code).not.toBe(0);
    // vzctl's own pid, a host process: no such process inside.
    expect(await probe(`ptrace:${process.pid}`)).toEqual({ [`ptrace:${process.pid}`]: 'ESRCH' });
    expect((await inA('ps')).out).not.toMatch(/vitest|node/);
  });
});
