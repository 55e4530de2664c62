/**
 * The escapes through the mount table (issue 17, finding 3): root inside a VE mounts a
 * filesystem of its own, or makes one of its read-only mounts writable, to reach what
 * the VE's own /proc, /sys and cgroups hide — host-wide /proc/sys keys, the host's cgroup
 * hierarchies with their release_agent, limits and device lists, /sys knobs, tracefs.
 * Every attempt is made from a VE of the host root (--local_uid 0) and from an
 * unprivileged one, and every case names what stops it in each:
 *
 *  - VE of the host root: a Landlock domain (no mount, remount, umount, move or
 *    pivot_root), a seccomp rule on the mount calls Landlock does not see (fsopen,
 *    fsmount, mount_setattr, open_tree, fspick), a cgroup namespace;
 *  - unprivileged VE: its user namespace (host-wide files and knobs refuse its root,
 *    filesystems without FS_USERNS_MOUNT refuse to mount) and its cgroup namespace.
 *
 * Writes that get as far as a host-wide file write back the value it has; every host
 * value is read before and after.
 */
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exists, RealCli } from './real-cli.js';

const cli = new RealCli('mounts');
const vzctl = cli.vzctl.bind(cli);
const probeSource = fileURLToPath(new URL('./fixtures/mount-probe.c', import.meta.url));
/** Host range of the unprivileged VEs: no account's, unlikely another test's. */
const LOCAL = 2_000_000 + ((cli.base + 13) % 1000) * 65536;

/** A attacks, B is the neighbour; both limited to 150 processes. */
const VARIANTS = [
  { kind: 'a VE of the host root', userns: false, A: cli.base, B: cli.base + 1, flags: ['--local_uid', '0'] },
  { kind: 'an unprivileged VE (--local_uid)', userns: true, A: cli.base + 2, B: cli.base + 3, flags: ['--local_uid', String(LOCAL)] },
];

const hostFile = (path: string) => readFile(path, 'utf8');

/** The file `name` of a VE's group in `controller`'s hierarchy, on the host. */
async function groupFile(ctid: number, controller: string, name: string): Promise<string> {
  const dirs = await cli.host.cgroups.paths(`${cli.parent}/${ctid}`);
  return readFile(join(dirs[controller]!, name), 'utf8');
}

beforeAll(async () => {
  await cli.setup();
  execFileSync('cc', ['-static', '-O2', '-o', join(cli.root, 'mount-probe'), probeSource]);
  for (const v of VARIANTS) {
    for (const id of [v.A, v.B]) {
      const c = await vzctl(['create', String(id), '--ostemplate', 'busybox', ...v.flags]);
      expect(c.code, c.stderr).toBe(0);
      expect((await vzctl(['set', String(id), '--numproc', '150:150', '--save'])).code).toBe(0);
      const bin = join(cli.root, 'var/lib/vzkit/private', String(id), 'fs/usr/local/bin');
      await mkdir(bin, { recursive: true });
      await copyFile(join(cli.root, 'mount-probe'), join(bin, 'mount-probe'));
      const s = await vzctl(['start', String(id)]);
      expect(s.code, s.stderr).toBe(0);
      expect(s.stderr).not.toMatch(/Landlock/);
    }
  }
}, 180_000);
afterAll(async () => {
  for (const v of VARIANTS) for (const id of [v.A, v.B]) await cli.cleanupVe(id);
  await cli.teardown();
}, 120_000);

describe.each(VARIANTS)('mount-table escapes by root inside $kind', ({ userns, A, B }) => {
  /** `vzctl exec` in A; stdout and stderr together, for the refusal's own words. */
  const inA = async (cmd: string) => (await vzctl(['exec2', String(A), `( ${cmd} ) 2>&1`])).stdout;
  const probe = async (...calls: string[]) =>
    Object.fromEntries((await inA(`/usr/local/bin/mount-probe ${calls.join(' ')}`)).trim().split('\n').map((l) => l.split(' ')));
  const refused = /permission denied|not permitted/i;

  it(userns
    ? 'a procfs of its own and kernel.core_pattern through it: mounted, but the key refuses its root (user namespace)'
    : 'a procfs of its own: mount refused (Landlock), a detached one through fsopen/fsmount refused (seccomp)', async () => {
    const core = await hostFile('/proc/sys/kernel/core_pattern');
    const out = await inA('mkdir -p /mnt/p; if mount -t proc proc /mnt/p; then echo MOUNTED; '
      + 'cat /mnt/p/sys/kernel/core_pattern > /tmp/cp && cat /tmp/cp > /mnt/p/sys/kernel/core_pattern && echo WRITTEN; umount /mnt/p; fi');
    expect(out).not.toMatch(/WRITTEN/);
    expect(out).toMatch(refused);
    if (userns) expect(out).toMatch(/MOUNTED/);
    else expect(out).not.toMatch(/MOUNTED/);
    // The same procfs, built detached and never attached: nothing a mount hook sees.
    expect(await probe('fsmount-core_pattern')).toEqual({ 'fsmount-core_pattern': userns ? 'EACCES' : 'EPERM' });
    expect(await hostFile('/proc/sys/kernel/core_pattern')).toBe(core);
  });

  it(userns
    ? "its read-only /proc/sys made writable: the mount may change, the host's keys still refuse its root (user namespace)"
    : 'its read-only /proc/sys made writable: remount refused (Landlock), mount_setattr refused (seccomp)', async () => {
    const core = await hostFile('/proc/sys/kernel/core_pattern');
    const out = await inA('mount -o remount,rw /proc/sys && echo REMOUNTED; mount -o remount,bind,rw /proc/sys && echo REMOUNTED; '
      + 'cat /proc/sys/kernel/core_pattern > /tmp/cp && cat /tmp/cp > /proc/sys/kernel/core_pattern && echo WRITTEN');
    expect(out).not.toMatch(/WRITTEN/);
    if (!userns) expect(out).not.toMatch(/REMOUNTED/);
    expect(await probe('setattr-rw:/proc/sys', 'open_tree:/proc', 'fspick:/proc')).toEqual(userns
      ? { 'setattr-rw:/proc/sys': 'OK', 'open_tree:/proc': 'OK', 'fspick:/proc': 'OK' }
      : { 'setattr-rw:/proc/sys': 'EPERM', 'open_tree:/proc': 'EPERM', 'fspick:/proc': 'EPERM' });
    expect(await inA('cat /proc/sys/kernel/core_pattern > /tmp/cp && cat /tmp/cp > /proc/sys/kernel/core_pattern && echo WRITTEN')).not.toMatch(/WRITTEN/);
    expect(await hostFile('/proc/sys/kernel/core_pattern')).toBe(core);
  });

  it(userns
    ? "the host's cgroup v1 hierarchy and its release_agent (CVE-2022-0492): a mount shows only its own group, without release_agent (cgroup namespace)"
    : "the host's cgroup v1 hierarchy and its release_agent (CVE-2022-0492): mount refused (Landlock), fsopen refused (seccomp); its group is its root (cgroup namespace)", async () => {
    const agent = await hostFile('/sys/fs/cgroup/memory/release_agent');
    const out = await inA('mkdir -p /mnt/cg; grep memory /proc/self/cgroup; if mount -t cgroup -o memory cgroup /mnt/cg; then echo MOUNTED; '
      + 'ls /mnt/cg/release_agent && cat /mnt/cg/release_agent > /tmp/ra && cat /tmp/ra > /mnt/cg/release_agent && echo WRITTEN; umount /mnt/cg; fi');
    expect(out).not.toMatch(/WRITTEN/);
    expect(out).toMatch(/^\d+:memory:\/$/m);
    if (userns) {
      expect(out).toMatch(/MOUNTED/);
      expect(out).toMatch(/release_agent: No such file/);
    } else {
      expect(out).not.toMatch(/MOUNTED/);
      expect(out).toMatch(refused);
      expect(await probe('fsopen:cgroup', 'fsopen:cgroup2')).toEqual({ 'fsopen:cgroup': 'EPERM', 'fsopen:cgroup2': 'EPERM' });
    }
    expect(await hostFile('/sys/fs/cgroup/memory/release_agent')).toBe(agent);
  });

  it(userns
    ? "leaving its cgroup, raising its limits, touching B's: its mount holds only its own group, whose files refuse its root (cgroup and user namespaces)"
    : "leaving its cgroup, raising its limits, touching B's: no cgroup filesystem can be mounted (Landlock)", async () => {
    const [limitA, limitB] = [await groupFile(A, 'pids', 'pids.max'), await groupFile(B, 'pids', 'pids.max')];
    expect(limitA.trim()).toBe('150');
    const out = await inA('sleep 30 >/dev/null 2>&1 & mkdir -p /mnt/pc; if mount -t cgroup -o pids cgroup /mnt/pc; then echo MOUNTED; '
      + 'echo max > /mnt/pc/pids.max && echo RAISED; echo $! > /mnt/pc/cgroup.procs && echo MOVED; ls /mnt/pc; umount /mnt/pc; fi');
    expect(out).not.toMatch(/RAISED|MOVED/);
    expect(out).not.toMatch(new RegExp(`\\b${B}\\b`));
    if (userns) expect(out).toMatch(/MOUNTED/);
    else expect(out).not.toMatch(/MOUNTED/);
    // From the host: the limits are as set, and the sleep is still counted in A.
    expect(await groupFile(A, 'pids', 'pids.max')).toBe(limitA);
    expect(await groupFile(B, 'pids', 'pids.max')).toBe(limitB);
    const inGroup = await cli.host.cgroups.pids(`${cli.parent}/${A}`);
    const comms = await Promise.all(inGroup.map((p) => readFile(`/proc/${p}/comm`, 'utf8').catch(() => '')));
    expect(comms.map((c) => c.trim())).toContain('sleep');
  });

  it(userns
    ? "granting itself devices in devices.allow: the file refuses its root (user namespace)"
    : "granting itself devices in devices.allow, then reading the host's disk: no devices hierarchy (Landlock), the node made cannot be opened (devices cgroup)", async () => {
    const list = await groupFile(A, 'devices', 'devices.list');
    const out = await inA('mkdir -p /mnt/dv; if mount -t cgroup -o devices cgroup /mnt/dv; then echo MOUNTED; echo a > /mnt/dv/devices.allow && echo GRANTED; umount /mnt/dv; fi');
    expect(out).not.toMatch(/GRANTED/);
    if (userns) expect(out).toMatch(/MOUNTED/);
    else expect(out).not.toMatch(/MOUNTED/);
    expect(await groupFile(A, 'devices', 'devices.list')).toBe(list);
    if (!userns) {
      const dev = (await stat(cli.root)).dev;
      const [major, minor] = [Math.floor(dev / 256) & 0xfff, (dev & 0xff) | ((dev >> 12) & 0xfff00)];
      expect(await inA(`mknod /tmp/disk b ${major} ${minor} && head -c 512 /tmp/disk > /dev/null && echo READ`)).not.toMatch(/READ/);
    }
  });

  it(userns
    ? '/sys made writable for the host-wide knobs (KSM, transparent huge pages): they refuse its root (user namespace)'
    : '/sys made writable for the host-wide knobs (KSM, transparent huge pages): remount refused (Landlock), mount_setattr refused (seccomp)', async () => {
    const knob = (await exists('/sys/kernel/mm/ksm/run')) ? '/sys/kernel/mm/ksm/run' : '/sys/kernel/mm/transparent_hugepage/defrag';
    const value = await hostFile(knob);
    const out = await inA(`mount -o remount,rw /sys && echo REMOUNTED; cat ${knob} > /tmp/k && cat /tmp/k > ${knob} && echo WRITTEN`);
    expect(out).not.toMatch(/REMOUNTED|WRITTEN/);
    expect((await probe('setattr-rw:/sys'))['setattr-rw:/sys']).toBe(userns ? 'OK' : 'EPERM');
    expect(await inA(`cat ${knob} > /tmp/k && cat /tmp/k > ${knob} && echo WRITTEN`)).not.toMatch(/WRITTEN/);
    expect(await hostFile(knob)).toBe(value);
  });

  it(userns
    ? 'tracefs, debugfs, securityfs, bpffs, devtmpfs and a sysfs of its own: refused (user namespace: none of them mounts there)'
    : 'tracefs, debugfs, securityfs, bpffs, devtmpfs and a sysfs of its own: refused (Landlock; fsopen: seccomp)', async () => {
    const types = ['tracefs', 'debugfs', 'securityfs', 'bpf', 'devtmpfs', 'sysfs'];
    const out = await inA(`mkdir -p /mnt/x; for t in ${types.join(' ')}; do mount -t $t none /mnt/x && echo "MOUNTED $t" && umount /mnt/x; done`);
    expect(out).not.toMatch(/MOUNTED/);
    expect(out.match(refused)?.length).toBeGreaterThan(0);
    if (!userns) expect(Object.values(await probe(...types.map((t) => `fsopen:${t}`)))).toEqual(types.map(() => 'EPERM'));
  });
});
