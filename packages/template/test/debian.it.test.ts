/**
 * The Debian template for real: `vztmpl create debian-12-x86_64` under a temp VZKIT_ROOT
 * runs mmdebstrap from the host's Debian mirror (under a minute, network needed) the
 * first time on a machine and leaves its tarball in the shared cache of test roots
 * (/var/tmp/vzkit-template-cache), which later runs unpack in seconds — the integration
 * project's global set-up (test-support/templates-setup.ts) has usually done the build.
 * The tree must be a sysvinit system for VEs with ssh and a web server, and nothing of
 * the build may be left behind: no host keys, no policy-rc.d, no build settings, no process.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VztmplCli } from './vztmpl-cli.js';

const NAME = 'debian-12-x86_64';
const CACHE = process.env.VZKIT_TEMPLATE_CACHE || '/var/tmp/vzkit-template-cache';
const cli = new VztmplCli();
const onX86 = process.arch === 'x64';

beforeAll(async () => {
  await cli.setup();
});

afterAll(async () => {
  await cli.teardown();
});

/** Pids of processes whose root or working directory is inside `dir`. */
async function processesIn(dir: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    for (const link of ['root', 'cwd']) {
      const target = await readlink(`/proc/${entry}/${link}`).catch(() => '');
      if (target === dir || target.startsWith(`${dir}/`)) found.push(Number(entry));
    }
  }
  return found;
}

describe.runIf(onX86)('vztmpl create debian-12-x86_64', () => {
  it('builds (or unpacks from the machine cache) a sysvinit Debian 12 for VEs', { timeout: 20 * 60_000 }, async () => {
    const cachedBefore = existsSync(join(CACHE, `${NAME}.tar.zst`)) || existsSync(join(CACHE, `${NAME}.tar.gz`));
    const r = await cli.run(['create', NAME], { timeoutMs: 20 * 60_000 });
    expect(r.code, r.stderr).toBe(0);
    const tree = join(cli.templateDir, NAME);
    expect(r.stdout).toMatch(new RegExp(`^Created OS template ${NAME} in ${tree} \\(\\d+M, \\d+ s\\)\\n$`));
    if (cachedBefore) expect(r.stderr).toMatch(new RegExp(`^vztmpl: ${NAME}: unpacking ${CACHE}/${NAME}\\.tar\\.(zst|gz)\\n$`));
    else expect(r.stderr).toMatch(/^vztmpl: debian-12-x86_64: retrieving packages \(\d+\/\d+\)$/m);
    // Either way the machine cache has it now, for the next run.
    expect((await readdir(CACHE)).filter((f) => f.startsWith(`${NAME}.tar.`))).toHaveLength(1);
    expect(await cli.entries()).toEqual([NAME]);

    const stamp = JSON.parse(await readFile(join(tree, '.vzkit-template'), 'utf8')) as Record<string, unknown>;
    expect(stamp).toMatchObject({ source: expect.stringMatching(/^mmdebstrap:bookworm:(https?|file):\/\/\S+$/), size: expect.any(Number) });
    expect(await readFile(join(tree, 'etc/debian_version'), 'utf8')).toMatch(/^12\./);

    // sysvinit is init; systemd is not installed.
    const status = await readFile(join(tree, 'var/lib/dpkg/status'), 'utf8');
    const installed = (pkg: string) => new RegExp(`^Package: ${pkg}\\n(?:[^\\n]+\\n)*?Status: install ok installed$`, 'm').test(status);
    expect(installed('sysvinit-core')).toBe(true);
    expect(installed('systemd')).toBe(false);
    expect(installed('systemd-sysv')).toBe(false);
    const sysvinitFiles = await readFile(join(tree, 'var/lib/dpkg/info/sysvinit-core.list'), 'utf8');
    expect(sysvinitFiles).toMatch(/^(\/usr)?\/sbin\/init$/m);
    expect((await stat(join(tree, 'sbin/init'))).isFile()).toBe(true);

    // The services a server VE runs, with their init scripts.
    for (const bin of ['usr/sbin/sshd', 'usr/sbin/nginx', 'usr/sbin/rsyslogd', 'usr/sbin/cron', 'sbin/ifup', 'bin/ip', 'bin/ps', 'bin/less']) {
      expect(existsSync(join(tree, bin)), bin).toBe(true);
    }
    for (const script of ['ssh', 'nginx', 'rsyslog', 'cron', 'networking']) expect(existsSync(join(tree, 'etc/init.d', script)), script).toBe(true);
    expect(existsSync(join(tree, 'var/www/html'))).toBe(true);
    expect(existsSync(join(tree, 'etc/ssl/certs/ca-certificates.crt'))).toBe(true);

    // Adapted for VEs; nothing of the build host or the build left.
    expect((await readdir(join(tree, 'etc/ssh'))).filter((f) => f.startsWith('ssh_host_'))).toEqual([]);
    expect(existsSync(join(tree, 'usr/sbin/policy-rc.d'))).toBe(false);
    expect(existsSync(join(tree, '.vzkit-build-apt.conf'))).toBe(false);
    expect(existsSync(join(tree, 'etc/apt/apt.conf.d/99mmdebstrap'))).toBe(false);
    expect(await readFile(join(tree, 'etc/inittab'), 'utf8')).not.toMatch(/^[^#\n][^\n]*getty[^\n]*tty[1-6]/m);
    expect(await readFile(join(tree, 'etc/inittab'), 'utf8')).toMatch(/^si::sysinit:\/etc\/init\.d\/rcS$/m);
    expect(await readFile(join(tree, 'etc/fstab'), 'utf8')).toBe('');
    expect(await readFile(join(tree, 'etc/hostname'), 'utf8')).toBe('localhost\n');
    expect(await readFile(join(tree, 'etc/resolv.conf'), 'utf8')).toBe('');
    expect((await readdir(join(tree, 'var/cache/apt/archives'))).filter((f) => f.endsWith('.deb'))).toEqual([]);
    expect((await readdir(join(tree, 'var/lib/apt/lists'))).filter((f) => f.endsWith('_Packages'))).toEqual([]);
    expect(await processesIn(cli.root)).toEqual([]);
  });
});
