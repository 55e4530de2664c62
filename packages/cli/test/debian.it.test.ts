/**
 * A full Debian VE, as the templates issue's acceptance asks: made from the
 * debian-12-x86_64 cache (built by the integration project's global set-up the first
 * time on a machine, from the host's network namespace; unpacked from
 * /var/tmp/vzkit-template-cache here, inside this file's own namespace), it boots its own
 * sysvinit as PID 1 with syslog, cron, sshd and nginx under it, serves a page on its
 * venet address to the host, takes a password, and stops through its init in seconds.
 * The tools run in a network namespace of this file's own.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { debianInNetns } from './fixtures.js';
import { RealCli } from './real-cli.js';

const cli = new RealCli('debian');
const vzctl = cli.vzctl.bind(cli);
const [A, B, U] = [cli.base, cli.base + 1, cli.base + 3];
const deb = debianInNetns(cli, 'd');
const { octet, inHost } = deb;
const ip = `198.18.${octet}.11`;

beforeAll(() => deb.setup(), 21 * 60_000);
afterAll(() => deb.teardown([A, B, U]), 120_000);

describe.runIf(process.arch === 'x64')('a Debian 12 VE', () => {
  it('boots sysvinit with syslog, sshd and nginx, serves the host, takes a password and stops cleanly', async () => {
    const t0 = Date.now();
    // A VE of the host root, as they are hardened: Landlock (no mounts) and no sys_ptrace.
    const c = await vzctl(['create', String(A), '--ostemplate', 'debian-12-x86_64', '--local_uid', '0', '--ipadd', ip, '--hostname', 'deb1.example.com', '--nameserver', '198.18.0.53']);
    expect(c.code, c.stderr).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5_000);
    const s = await vzctl(['start', String(A)]);
    expect(s.code, s.stderr).toBe(0);
    // The guest's rc scripts start the services after init: give them a moment.
    let ps = '';
    for (let i = 0; i < 50 && !/sshd/.test(ps); i++) {
      await new Promise((r) => setTimeout(r, 200));
      ps = (await vzctl(['exec', String(A), 'ps axf -o pid,comm'])).stdout;
    }
    expect(ps).toMatch(/^\s+1 init$/m);
    for (const daemon of ['rsyslogd', 'cron', 'nginx', 'sshd']) expect(ps, daemon).toMatch(new RegExp(`\\b${daemon}\\b`));
    // The web server answers the host on the VE's own address.
    const page = await inHost(process.execPath, '-e', `fetch('http://${ip}/').then(async (r) => process.stdout.write(String(r.status) + ' ' + await r.text()))`);
    expect(page.stdout).toMatch(/^200 [\s\S]*Welcome to nginx/);
    // The guest's own files, set up by vzkit.
    expect((await vzctl(['exec', String(A), 'hostname; cat /etc/resolv.conf; grep deb1 /etc/hosts'])).stdout)
      .toBe(`deb1.example.com\nnameserver 198.18.0.53\n${ip} deb1.example.com deb1\n`);
    expect((await vzctl(['exec', String(A), 'ls /etc/ssh/ssh_host_ed25519_key'])).code).toBe(0);
    // The whole system runs in a Landlock domain without sys_ptrace (@vzkit/landlock, @vzkit/caps).
    expect((await vzctl(['exec2', String(A), 'mount -t tmpfs none /mnt 2>&1'])).stdout).toMatch(/permission denied/i);
    const bnd = BigInt(`0x${/^CapBnd:\s*([0-9a-f]+)$/m.exec((await vzctl(['exec', String(A), 'cat /proc/1/status'])).stdout)![1]}`);
    expect((bnd >> 19n) & 1n).toBe(0n);
    // The password on stdin, not on vzctl's command line.
    const pw = await cli.tool('vzctl', ['set', String(A), '--userpasswd', 'admin'], {}, 50_000, 's3cret-pass\n');
    expect(pw, pw.stderr).toMatchObject({ code: 0, stderr: '' });
    expect((await vzctl(['exec', String(A), "id -u admin; grep -c '^admin:[$]' /etc/shadow"])).stdout).toBe('1000\n1\n');
    // A second VE from the same cache is made at once: the template is shared, not copied.
    const t1 = Date.now();
    expect((await vzctl(['create', String(B), '--ostemplate', 'debian-12-x86_64'])).code).toBe(0);
    expect(Date.now() - t1).toBeLessThan(2_000);
    // Stop goes through the guest's init (telinit 0), well within the timeout.
    const pid = await cli.initPid(A);
    const t2 = Date.now();
    const stop = await vzctl(['stop', String(A)]);
    expect(stop.code, stop.stderr).toBe(0);
    expect(Date.now() - t2).toBeLessThan(10_000);
    expect(await cli.host.processes.alive(pid)).toBe(false);
  }, 120_000);

  it('as an unprivileged VE (--local_uid): the same system boots and serves, every daemon a host uid of its range', async () => {
    const local = 3_000_000 + (cli.base % 1000) * 65536;
    const uip = `198.18.${octet}.12`;
    const c = await vzctl(['create', String(U), '--ostemplate', 'debian-12-x86_64', '--local_uid', String(local), '--ipadd', uip, '--hostname', 'deb-u']);
    expect(c.code, c.stderr).toBe(0);
    expect((await vzctl(['start', String(U)])).code).toBe(0);
    let ps = '';
    for (let i = 0; i < 50 && !/sshd/.test(ps); i++) {
      await new Promise((r) => setTimeout(r, 200));
      ps = (await vzctl(['exec', String(U), 'ps axf -o pid,user,comm'])).stdout;
    }
    expect(ps).toMatch(/^\s+1 root\s+init$/m);
    for (const daemon of ['rsyslogd', 'cron', 'nginx', 'sshd']) expect(ps, daemon).toMatch(new RegExp(`\\b${daemon}\\b`));
    const page = await inHost(process.execPath, '-e', `fetch('http://${uip}/').then(async (r) => process.stdout.write(String(r.status) + ' ' + await r.text()))`);
    expect(page.stdout).toMatch(/^200 [\s\S]*Welcome to nginx/);
    // On the host, the VE's processes belong to its range: root is `local`, www-data (33) is local + 33.
    const owners = new Set<number>();
    for (const pid of await cli.host.cgroups.pids(`${cli.parent}/${U}`)) {
      const m = /^Uid:\s+(\d+)/m.exec(await readFile(`/proc/${pid}/status`, 'utf8').catch(() => ''));
      if (m) owners.add(Number(m[1]));
    }
    expect([...owners].sort()).toEqual([local, local + 33].sort());
    // Files vzkit wrote for the guest belong to the guest's root, inside and on the host.
    expect((await vzctl(['exec', String(U), 'stat -c "%u %g" /etc/ssh/ssh_host_ed25519_key /etc/hosts'])).stdout).toBe('0 0\n0 0\n');
    // OpenVZ's form still works, with a warning that ps shows the password.
    const pw = await vzctl(['set', String(U), '--userpasswd', 'admin:s3cret-pass']);
    expect(pw.code, pw.stderr).toBe(0);
    expect(pw.stderr).toMatch(/^WARNING: the password for admin given in --userpasswd was visible to every user of the host/);
    const stop = await vzctl(['stop', String(U)]);
    expect(stop.code, stop.stderr).toBe(0);
    expect(await readFile('/proc/self/mountinfo', 'utf8')).not.toContain(`/private/${U}/`);
  }, 120_000);

  it('a full disk gives exit 46 and leaves no half-made template or VE', async () => {
    const small = await mkdtemp(join(tmpdir(), 'vzkit-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=20m', 'tmpfs', small]);
    try {
      const r = await cli.tool('vzctl', ['create', String(B + 1), '--ostemplate', 'debian-12-x86_64'], { VZKIT_ROOT: small }, 120_000);
      expect(r.code, r.stderr).toBe(46);
      expect(r.stderr).toMatch(new RegExp(`^vzctl: CT ${B + 1}: .*not enough disk space`, 'm'));
      expect(await readdir(join(small, 'var/lib/vzkit/template'))).toEqual([]);
      expect(await readdir(join(small, 'etc/vzkit/conf')).catch(() => [])).toEqual([]);
    } finally {
      execFileSync('umount', [small]);
      await rm(small, { recursive: true, force: true });
    }
  }, 180_000);
});
