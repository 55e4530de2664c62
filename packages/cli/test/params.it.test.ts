/**
 * The OpenVZ parameters vzkit used to refuse, on the real kernel, as an administrator
 * uses them (issue 20, item 7): --devnodes (made inside and allowed, in both kinds of
 * VE, live), --features (what maps to something real, refusals naming why), --meminfo,
 * --netfilter/--iptables, --ioprio, --iolimit and --iopslimit (a direct-I/O dd measured
 * against the limit).
 */
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RealCli, exists } from './real-cli.js';

const cli = new RealCli('params');
const vzctl = cli.vzctl.bind(cli);
/** A host range no account uses, unlikely to be another test's. */
const LOCAL = 3_000_000 + (cli.base % 1000) * 65536;
let next = cli.base;
let used: number[] = [];

beforeAll(() => cli.setup(), 120_000);
afterAll(() => cli.teardown(), 120_000);
afterEach(async () => {
  for (const id of used) await cli.cleanupVe(id);
  used = [];
}, 60_000);

/** A new busybox VE: privileged (`--local_uid 0`, its root the host's) or unprivileged. */
async function ve(kind: 'privileged' | 'unprivileged', ...flags: string[]): Promise<number> {
  const id = next++;
  used.push(id);
  const c = await vzctl(['create', String(id), '--ostemplate', 'busybox', '--local_uid', kind === 'privileged' ? '0' : String(LOCAL), ...flags]);
  expect(c.code, c.stderr).toBe(0);
  return id;
}

async function started(id: number): Promise<string> {
  const r = await vzctl(['start', String(id)]);
  expect(r.code, r.stderr).toBe(0);
  return r.stderr;
}

/** Output and status of a shell line inside, stderr folded in. */
async function inside(id: number, cmd: string): Promise<{ code: number; out: string }> {
  const r = await vzctl(['exec', String(id), `( ${cmd} ) 2>&1`]);
  return { code: r.code, out: r.stdout };
}

/** Opening tun without attaching an interface: read says EBADFD once the open went through. */
const OPEN_TUN = 'cat /dev/net/tun';
const OPENED = 'File descriptor in bad state';

const kernelConfig = (): Map<string, string> => {
  const text = gunzipSync(execFileSync('cat', ['/proc/config.gz'])).toString('utf8');
  return new Map(text.split('\n').flatMap((l) => { const m = /^(CONFIG_\w+)=(.*)$/.exec(l); return m ? [[m[1]!, m[2]!] as [string, string]] : []; }));
};

describe('--devnodes', () => {
  it('a VE of the host root: the node is made inside and opens; none takes it away and a new one appears, live', async () => {
    const id = await ve('privileged', '--devnodes', 'net/tun:rw');
    await started(id);
    expect((await inside(id, 'stat -c "%F %t:%T" /dev/net/tun')).out).toBe('character special file a:c8\n');
    expect((await inside(id, OPEN_TUN)).out).toContain(OPENED);
    // Made by mknod: nothing is mounted on it.
    expect((await inside(id, 'grep -c " /dev/net/tun " /proc/self/mountinfo')).out).toBe('0\n');
    expect((await vzctl(['set', String(id), '--devnodes', 'net/tun:none'])).code).toBe(0);
    expect((await inside(id, OPEN_TUN)).out).toContain('Operation not permitted');
    expect((await inside(id, 'test -e /dev/fuse || echo absent')).out).toBe('absent\n');
    expect((await vzctl(['set', String(id), '--devnodes', 'fuse:rw'])).code).toBe(0);
    expect((await inside(id, 'stat -c "%F %t:%T" /dev/fuse')).out).toBe('character special file a:e5\n');
  });

  it("an unprivileged VE: the host's node is bound in (mknod is refused there), live too; the host's mode 0600 keeps its root out", async () => {
    const mode = (await cli.host.fs.stat('/dev/net/tun'))!.mode;
    const id = await ve('unprivileged', '--devnodes', 'net/tun:rw');
    const warned = await started(id);
    expect((await inside(id, 'stat -c "%F %t:%T" /dev/net/tun')).out).toBe('character special file a:c8\n');
    expect((await inside(id, 'grep -c " /dev/net/tun " /proc/self/mountinfo')).out).toBe('1\n');
    if (mode & 0o006) {
      expect((await inside(id, OPEN_TUN)).out).toContain(OPENED);
    } else {
      expect(warned).toContain('DEVNODES net/tun: /dev/net/tun has mode 0600 on the host');
      expect((await inside(id, OPEN_TUN)).out).toContain('Permission denied');
    }
    expect((await vzctl(['set', String(id), '--devnodes', 'fuse:rw'])).code).toBe(0);
    expect((await inside(id, 'stat -c "%F %t:%T" /dev/fuse; grep -c " /dev/fuse " /proc/self/mountinfo')).out).toBe('character special file a:e5\n1\n');
  });

  it('a name that is no device on the host fails the start in one line (exit 86)', async () => {
    const id = await ve('privileged');
    const r = await vzctl(['set', String(id), '--devnodes', 'no-such-node:rw', '--save']);
    expect(r.code).toBe(0);
    const start = await vzctl(['start', String(id)]);
    expect(start.code).toBe(86);
    expect(start.stderr).toContain(`CT ${id}: DEVNODES no-such-node: /dev/no-such-node is missing on this host`);
  });
});

describe('--features', () => {
  it('bridge:on gives what the VE\'s own network namespace has; off, unknown names and what the kernel lacks are refused', async () => {
    const config = kernelConfig();
    const id = await ve('unprivileged', '--features', 'bridge:on');
    await started(id);
    expect((await inside(id, 'ip link add br7 type bridge && ip -o link show br7 | grep -c br7')).out).toBe('1\n');
    const off = await vzctl(['set', String(id), '--features', 'bridge:off', '--save']);
    expect(off.code).toBe(5);
    expect(off.stderr).toContain(`CT ${id}: FEATURES bridge:off: the VE's root makes bridges in its own network namespace`);
    const unknown = await vzctl(['set', String(id), '--features', 'quux:on', '--save']);
    expect(unknown.code).toBe(21);
    expect(unknown.stderr).toContain(`CT ${id}: FEATURES quux: no such feature in this vzkit`);
    const ppp = await vzctl(['set', String(id), '--features', 'ppp:on', '--save']);
    if (!config.has('CONFIG_PPP')) {
      expect(ppp.code).toBe(5);
      expect(ppp.stderr).toContain(`CT ${id}: FEATURES ppp:on: the host kernel has no PPP driver (CONFIG_PPP)`);
    }
    const nfs = await vzctl(['set', String(id), '--features', 'nfs:on', '--save']);
    expect(nfs.code).toBe(5);
    expect(nfs.stderr).toContain(`CT ${id}: FEATURES nfs:on: the kernel lets no user namespace mount NFS, and this VE has one (LOCAL_UID)`);
    expect(await readFile(join(cli.root, 'etc/vzkit/conf', `${id}.conf`), 'utf8')).toContain('FEATURES="bridge:on"\n');
  });

  it('sysfs:off: the VE has no /sys, at the next start', async () => {
    const id = await ve('privileged');
    await started(id);
    expect(Number((await inside(id, 'ls /sys | wc -l')).out)).toBeGreaterThan(0);
    const set = await vzctl(['set', String(id), '--features', 'sysfs:off', '--save']);
    expect(set.stdout + set.stderr).toContain('it will apply at the next start');
    expect((await vzctl(['restart', String(id)])).code).toBe(0);
    expect((await inside(id, "ls -A /sys | wc -l; awk '$5 ~ /^\\/sys/' /proc/self/mountinfo | wc -l")).out).toBe('0\n0\n');
  });
});

describe('--meminfo', () => {
  it("none shows the host's /proc/meminfo, live; privvmpages:1 (OpenVZ's default) shows the RAM limit again", async () => {
    if (!(await exists('/usr/bin/lxcfs'))) return expect.fail('lxcfs is not installed: /proc/meminfo cannot be the VE\'s');
    const host = (await readFile('/proc/meminfo', 'utf8')).split('\n')[0];
    const id = await ve('unprivileged', '--ram', '256M');
    await started(id);
    const total = async () => (await inside(id, 'head -1 /proc/meminfo')).out.trim();
    expect(await total()).toMatch(/^MemTotal:\s+262144 kB$/);
    expect((await vzctl(['set', String(id), '--meminfo', 'none'])).code).toBe(0);
    expect(await total()).toBe(host);
    expect((await vzctl(['set', String(id), '--meminfo', 'privvmpages:1'])).code).toBe(0);
    expect(await total()).toMatch(/^MemTotal:\s+262144 kB$/);
  });
});

describe('--netfilter and --iptables', () => {
  it('full is what the VE has: its own netfilter, conntrack included; a narrower level is said to be unenforced', async () => {
    const id = await ve('privileged', '--netfilter', 'stateless');
    const warned = await started(id);
    expect(warned).toContain('NETFILTER stateless: not enforced');
    // The host's nft in the VE's network namespace: a table with a conntrack rule is the VE's alone.
    const pid = await cli.initPid(id);
    const nft = (args: string[]) => execFileSync('nsenter', [`--net=/proc/${pid}/ns/net`, 'nft', ...args], { encoding: 'utf8' });
    nft(['add', 'table', 'inet', 'vzkit_params_it']);
    nft(['add', 'chain', 'inet', 'vzkit_params_it', 'in', '{ type filter hook input priority 0 ; }']);
    nft(['add', 'rule', 'inet', 'vzkit_params_it', 'in', 'ct', 'state', 'established', 'accept']);
    expect(nft(['list', 'tables'])).toContain('vzkit_params_it');
    expect(execFileSync('nft', ['list', 'tables'], { encoding: 'utf8' })).not.toContain('vzkit_params_it');
    const ipt = await vzctl(['set', String(id), '--iptables', 'iptable_filter,iptable_nat', '--save']);
    expect(ipt.code).toBe(0);
    expect(await readFile(join(cli.root, 'etc/vzkit/conf', `${id}.conf`), 'utf8')).toContain('IPTABLES="iptable_filter iptable_nat"');
    expect((await vzctl(['set', String(id), '--netfilter', 'nat', '--save'])).code).toBe(21);
  });

  it('disabled: a seccomp filter on the calls that configure netfilter, stacked on the VE\'s own (launcher.it.test.ts proves its rules)', async () => {
    const id = await ve('privileged', '--netfilter', 'disabled');
    const warned = await started(id);
    expect(warned).not.toContain('NETFILTER');
    const filters = async () => (await readFile(`/proc/${await cli.initPid(id)}/status`, 'utf8')).match(/^Seccomp_filters:\s+(\d+)$/m)?.[1];
    // One filter more than the same VE without it (the seccomp profile, and Landlock's mount
    // rule for a VE of the host root, are filters of their own).
    const disabled = Number(await filters());
    expect((await vzctl(['set', String(id), '--netfilter', 'full', '--save'])).code).toBe(0);
    expect((await vzctl(['restart', String(id)])).code).toBe(0);
    expect(Number(await filters())).toBe(disabled - 1);
  });
});

describe('--ioprio, --iolimit, --iopslimit', () => {
  /** Seconds a direct-I/O dd inside takes. */
  async function dd(id: number, args: string): Promise<number> {
    const t0 = performance.now();
    const r = await inside(id, `dd if=/dev/zero of=/root/dd.out ${args} oflag=direct && rm /root/dd.out`);
    expect(r.code, r.out).toBe(0);
    return (performance.now() - t0) / 1000;
  }
  const blkio = (id: number, file: string) => readFile(`/sys/fs/cgroup/blkio/${cli.parent.replace('@self/', '')}/${id}/blkio.throttle.${file}_device`, 'utf8');

  it('iolimit and iopslimit throttle the disk under the VE, live, measured; ioprio is said to do nothing without a weight', async () => {
    const id = await ve('privileged');
    await started(id);
    const [disk] = await cli.host.fs.disks(join(cli.root, 'var/lib/vzkit/private', String(id), 'fs'));
    expect(disk).toBeDefined();
    const dev = `${disk!.major}:${disk!.minor}`;
    expect(await dd(id, 'bs=64k count=32')).toBeLessThan(1.5);
    // 1 MB/s: 2 MB take at least about 2 s (the first slice may pass at once).
    expect((await vzctl(['set', String(id), '--iolimit', '1'])).code).toBe(0);
    expect(await blkio(id, 'write_bps')).toBe(`${dev} 1048576\n`);
    expect(await blkio(id, 'read_bps')).toBe(`${dev} 1048576\n`);
    const slow = await dd(id, 'bs=64k count=32');
    expect(slow).toBeGreaterThan(1.4);
    expect(slow).toBeLessThan(10);
    expect((await vzctl(['set', String(id), '--iolimit', '0', '--iopslimit', '25'])).code).toBe(0);
    expect(await blkio(id, 'write_bps')).toBe('');
    expect(await blkio(id, 'write_iops')).toBe(`${dev} 25\n`);
    // 50 writes at 25 per second.
    expect(await dd(id, 'bs=4k count=50')).toBeGreaterThan(1.4);
    expect((await vzctl(['set', String(id), '--iopslimit', '0'])).code).toBe(0);
    expect(await dd(id, 'bs=4k count=50')).toBeLessThan(1.2);
    const weightFile = ['blkio.bfq.weight', 'blkio.weight'].find((f) => execFileSync('sh', ['-c', `ls /sys/fs/cgroup/blkio/${cli.parent.replace('@self/', '')}/${id}/${f} 2>/dev/null || true`], { encoding: 'utf8' }).trim());
    const prio = await vzctl(['set', String(id), '--ioprio', '7', '--save']);
    expect(prio.code).toBe(0);
    if (weightFile === undefined) expect(prio.stderr).toContain('IOPRIO 7: not applied');
    const list = await cli.tool('vzlist', ['-H', '-o', 'ctid,ioprio,iolimit,iopslimit', String(id)]);
    expect(list.stdout.trim().split(/\s+/)).toEqual([String(id), '7', '0', '0']);
  });

  it("a VE with its own disk image (--diskspace) is throttled on the image's loop device", async () => {
    const id = await ve('privileged', '--diskspace', '256M', '--iolimit', '2M');
    await started(id);
    const [disk] = await cli.host.fs.disks(join(cli.root, 'var/lib/vzkit/private', String(id), 'fs'));
    expect(disk?.name).toMatch(/^loop\d+$/);
    expect(await blkio(id, 'write_bps')).toContain(`${disk!.major}:${disk!.minor} 2097152\n`);
    const t = await dd(id, 'bs=64k count=64');
    expect(t).toBeGreaterThan(1.4);
    expect(t).toBeLessThan(10);
  });
});
