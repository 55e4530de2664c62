/**
 * ns-net's acceptance on the real kernel, through the bundled vzctl and vzlist. The
 * tools run in a network namespace this file makes (its "host"), so routes, forwarding
 * and filters never touch the machine's own network; addresses are from 198.18.0.0/15.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RealCli } from './real-cli.js';

const cli = new RealCli('net');
const vzctl = cli.vzctl.bind(cli);
const NS = `vzkit-t${process.pid}`;
const [A, B] = [cli.base, cli.base + 1];
// Unique per run so that two runs on one machine never share an address.
const octet = (cli.base % 250) + 1;
const ipA = `198.18.${octet}.1`;
const ipB = `198.18.${octet}.2`;
const ip6A = `2001:db8:${octet.toString(16)}::1`;
const ip6B = `2001:db8:${octet.toString(16)}::2`;
/** The "host's" own address in the test namespace. */
const HOST_IP = '198.19.255.1';
const HOST_IP6 = '2001:db8:ffff::1';

const run = promisify(execFile);
/** A command in the test's host namespace. */
const inHost = (...argv: string[]) => run('nsenter', [`--net=/run/netns/${NS}`, '--', ...argv], { timeout: 20_000 });
/** GET / from the test's host (Node's fetch: Debian's static busybox wget crashes here); undefined when it fails. */
const fetchFromHost = (ip: string) =>
  inHost(process.execPath, '-e', `fetch('http://${ip}/', { signal: AbortSignal.timeout(3000) }).then(async (r) => process.stdout.write(await r.text()))`)
    .then((r) => r.stdout, () => undefined);
/** GET / from inside a VE, with busybox nc; the body alone. */
const fetchFromVe = async (ctid: number, ip: string) =>
  (await vzctl(['exec', String(ctid), `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${ip} 80 | sed '1,/^\\r$/d'`])).stdout;

beforeAll(async () => {
  await cli.setup();
  execFileSync('ip', ['netns', 'add', NS]);
  cli.netns = NS;
  await inHost('ip', 'link', 'set', 'lo', 'up');
  await inHost('ip', 'addr', 'add', `${HOST_IP}/32`, 'dev', 'lo');
  // A host has a global IPv6 address to answer from (a link-local source gets no answer over venet).
  await inHost('ip', '-6', 'addr', 'add', `${HOST_IP6}/128`, 'dev', 'lo');
  await inHost('sysctl', '-qw', 'net.ipv4.ip_forward=1');
}, 120_000);
afterAll(async () => {
  await cli.teardown();
  execFileSync('ip', ['netns', 'del', NS]);
}, 120_000);
afterEach(async () => {
  for (const id of [A, B]) await cli.cleanupVe(id);
});

/** A busybox VE whose httpd serves `page`. */
async function webVe(ctid: number, page: string, ...flags: string[]): Promise<void> {
  const c = await vzctl(['create', String(ctid), '--ostemplate', 'busybox', ...flags]);
  expect(c.code, c.stderr).toBe(0);
  const www = join(cli.root, 'var/lib/vzkit/private', String(ctid), 'fs/var/www');
  await mkdir(www, { recursive: true });
  await writeFile(join(www, 'index.html'), page);
  const r = await vzctl(['start', String(ctid)]);
  expect(r.code, r.stderr).toBe(0);
}

async function hostNet(): Promise<{ links: string; routes: string; proxies: string; rules: string }> {
  return {
    rules: (await inHost('ip', '-6', 'rule')).stdout,
    links: (await inHost('ip', '-o', 'link')).stdout,
    routes: (await inHost('ip', 'route', 'show', 'table', 'all')).stdout + (await inHost('ip', '-6', 'route', 'show', 'table', 'all')).stdout,
    proxies: (await inHost('ip', 'neigh', 'show', 'proxy')).stdout,
  };
}

async function expectNothingLeft(...ctids: number[]): Promise<void> {
  const n = await hostNet();
  for (const id of ctids) expect(n.links).not.toContain(`venet${id}`);
  expect(n.routes).not.toContain(`198.18.${octet}.`);
  expect(n.proxies).toBe('');
  expect(n.rules).not.toMatch(/venet/);
}

/** Echo requests the test's host has received, IPv4 and IPv6 (/proc/net shows the reader's namespace). */
async function inEchos(): Promise<{ v4: number; v6: number }> {
  const [names = '', values = ''] = (await inHost('cat', '/proc/net/snmp')).stdout.split('\n').filter((l) => l.startsWith('Icmp:'));
  const v6 = /^Icmp6InEchos\s+(\d+)/m.exec((await inHost('cat', '/proc/net/snmp6')).stdout)?.[1];
  return { v4: Number(values.split(/\s+/)[names.split(/\s+/).indexOf('InEchos')]), v6: Number(v6) };
}

describe('venet', () => {
  it('serves each VE on its own address, VE to VE, and shows venet0 inside', async () => {
    await webVe(A, 'page of A\n', '--ipadd', ipA, '--ipadd', ip6A);
    await webVe(B, 'page of B\n', '--ipadd', ipB);
    expect(await fetchFromHost(ipA)).toBe('page of A\n');
    expect(await fetchFromHost(ipB)).toBe('page of B\n');
    expect(await fetchFromHost(`[${ip6A}]`)).toBe('page of A\n');
    expect(await fetchFromVe(A, ipB)).toBe('page of B\n');
    const addr = await vzctl(['exec', String(A), 'ip addr']);
    expect(addr.stdout).toMatch(/venet0/);
    expect(addr.stdout).toContain(`inet ${ipA}/32`);
    expect(addr.stdout).toContain(`inet6 ${ip6A}/128`);
    expect(addr.stdout).toMatch(/lo: <LOOPBACK,UP/);
    const list = await cli.tool('vzlist', ['-H', '-o', 'ctid,ip', String(A), String(B)]);
    expect(list.stdout).toMatch(new RegExp(`${A}\\s+${ipA} ${ip6A}`));
    expect(list.stdout).toMatch(new RegExp(`${B}\\s+${ipB}`));
  });

  it('drops packets a VE sends from an address that is not its own', async () => {
    await webVe(A, 'a\n', '--ipadd', ipA, '--ipadd', ip6A);
    await webVe(B, 'b\n', '--ipadd', ipB, '--ipadd', ip6B);
    const before = await inEchos();
    // The control: from its own addresses, the host hears it.
    const own = await vzctl(['exec', String(A), `ping -c 1 -W 2 -I ${ipA} ${HOST_IP} && ping6 -c 1 -W 2 -I ${ip6A} ${HOST_IP6}`]);
    expect(own.code, own.stdout + own.stderr).toBe(0);
    expect(await inEchos()).toEqual({ v4: before.v4 + 1, v6: before.v6 + 1 });
    // The VE's root takes B's addresses and sends from them: the host never sees the packets.
    expect((await vzctl(['exec', String(A), `ip addr add ${ipB}/32 dev venet0 && ip addr add ${ip6B}/128 dev venet0`])).code).toBe(0);
    await vzctl(['exec', String(A), `ping -c 2 -W 1 -I ${ipB} ${HOST_IP}; ping6 -c 2 -W 1 -I ${ip6B} ${HOST_IP6}`]);
    expect(await inEchos()).toEqual({ v4: before.v4 + 1, v6: before.v6 + 1 });
    expect(await fetchFromHost(ipB)).toBe('b\n');
  });

  it('--ipadd and --ipdel work live; the address goes at once', async () => {
    await webVe(A, 'a\n');
    // venet0 is there without addresses too (as on OpenVZ), with no route to it.
    expect((await hostNet()).links).toContain(`venet${A}`);
    expect((await hostNet()).routes).not.toContain(`venet${A}`);
    const add = await vzctl(['set', String(A), '--ipadd', ipA, '--save']);
    expect(add.code, add.stderr).toBe(0);
    expect(await fetchFromHost(ipA)).toBe('a\n');
    const del = await vzctl(['set', String(A), '--ipdel', ipA, '--save']);
    expect(del.code, del.stderr).toBe(0);
    expect(await fetchFromHost(ipA)).toBeUndefined();
    expect((await vzctl(['exec', String(A), 'ip addr show venet0'])).stdout).not.toContain(ipA);
    expect((await hostNet()).routes).not.toContain(ipA);
  });

  it('refuses an address another running VE has (exit 78) and a bad one (exit 71), changing nothing', async () => {
    await webVe(A, 'a\n', '--ipadd', ipA);
    await webVe(B, 'b\n');
    const taken = await vzctl(['set', String(B), '--ipadd', ipA, '--save']);
    expect(taken.code).toBe(78);
    expect(taken.stderr.trim().split('\n')[0]).toBe(`vzctl: CT ${B}: address ${ipA} is in use by CT ${A}`);
    const bad = await vzctl(['set', String(B), '--ipadd', '198.18.1', '--save']);
    expect(bad.code).toBe(71);
    expect(bad.stderr).toContain(`CT ${B}`);
    expect(await fetchFromHost(ipA)).toBe('a\n');
    expect((await cli.tool('vzlist', ['-H', '-o', 'ip', String(B)])).stdout.trim()).toBe('-');
  });

  it('a DROP rule inside one VE blocks traffic to that VE only', async () => {
    await webVe(A, 'a\n', '--ipadd', ipA);
    await webVe(B, 'b\n', '--ipadd', ipB);
    const pid = await cli.initPid(A);
    // nft from the host's Debian, run inside A's network namespace, as the VE's root would.
    await run('nsenter', [`--net=/proc/${pid}/ns/net`, '--', 'nft', 'add table inet f; add chain inet f in { type filter hook input priority 0; }; add rule inet f in tcp dport 80 drop']);
    expect(await fetchFromHost(ipA)).toBeUndefined();
    expect(await fetchFromHost(ipB)).toBe('b\n');
    expect((await inHost('nft', 'list', 'ruleset')).stdout).not.toContain('dport');
  });

  it('leaves no link, route or proxy entry after stop, a killed start, or destroy', async () => {
    await webVe(A, 'a\n', '--ipadd', ipA);
    expect((await hostNet()).links).toContain(`venet${A}`);
    expect((await vzctl(['stop', String(A)])).code).toBe(0);
    await expectNothingLeft(A);
    for (const step of ['attach:@vzkit/ns-net', 'exec']) {
      const r = await vzctl(['start', String(A)], { VZKIT_FAULT: `start:${step}` });
      expect(r.signal).toBe('SIGKILL');
      expect([0, 31]).toContain((await vzctl(['stop', String(A)])).code);
      await expectNothingLeft(A);
    }
    expect((await vzctl(['destroy', String(A)])).code).toBe(0);
    await expectNothingLeft(A);
  });
});

describe('neighbour proxying', () => {
  it('answers ARP for VE addresses on NEIGHBOUR_DEVS only while the VE runs', async () => {
    // A "LAN" device of the test's own; vz.conf names it, as an administrator would.
    await inHost('ip', 'link', 'add', 'vzt-lan0', 'type', 'veth', 'peer', 'name', 'vzt-lan1');
    await inHost('ip', 'link', 'set', 'vzt-lan0', 'up');
    const conf = join(cli.root, 'etc/vzkit/vz.conf');
    const before = await readFile(conf, 'utf8').catch(() => '');
    await mkdir(dirname(conf), { recursive: true });
    await writeFile(conf, `${before}NEIGHBOUR_DEVS="vzt-lan0"\n`);
    try {
      await webVe(A, 'a\n', '--ipadd', ipA);
      expect((await hostNet()).proxies).toContain(`${ipA} dev vzt-lan0`);
      expect((await vzctl(['stop', String(A)])).code).toBe(0);
      expect((await hostNet()).proxies).toBe('');
    } finally {
      await writeFile(conf, before);
      await inHost('ip', 'link', 'del', 'vzt-lan0').catch(() => undefined);
    }
  });
});

describe('veth', () => {
  it('adds eth0 with a stable MAC, its host end in a bridge, and removes it live', async () => {
    await inHost('ip', 'link', 'add', 'vzt-br0', 'type', 'bridge');
    try {
      await webVe(A, 'a\n', '--netif_add', 'eth0,,,,vzt-br0');
      const inside = (await vzctl(['exec', String(A), 'ip -o link show eth0'])).stdout;
      const mac = /link\/ether (\S+)/.exec(inside)?.[1];
      expect(mac).toMatch(/^00:18:51:/);
      expect((await inHost('ip', '-o', 'link', 'show', `veth${A}.0`)).stdout).toContain('master vzt-br0');
      await vzctl(['restart', String(A)]);
      expect((await vzctl(['exec', String(A), 'ip -o link show eth0'])).stdout).toContain(mac!);
      const del = await vzctl(['set', String(A), '--netif_del', 'eth0', '--save']);
      expect(del.code, del.stderr).toBe(0);
      expect((await hostNet()).links).not.toContain(`veth${A}.0`);
      expect((await vzctl(['exec', String(A), 'ip -o link'])).stdout).not.toContain('eth0');
      const missing = await vzctl(['set', String(A), '--netif_add', 'eth1,,,,nosuchbr', '--save']);
      expect(missing.code).toBe(130);
    } finally {
      await inHost('ip', 'link', 'del', 'vzt-br0').catch(() => undefined);
    }
  });
});

describe('DNS', () => {
  it('writes nameserver and search lines into the VE, live', async () => {
    await webVe(A, 'a\n', '--nameserver', '198.18.0.53', '--searchdomain', 'example.com');
    expect((await vzctl(['exec', String(A), 'cat /etc/resolv.conf'])).stdout).toBe('search example.com\nnameserver 198.18.0.53\n');
    expect((await vzctl(['set', String(A), '--nameserver', '198.18.0.54', '--save'])).code).toBe(0);
    expect((await vzctl(['exec', String(A), 'cat /etc/resolv.conf'])).stdout).toBe('search example.com\nnameserver 198.18.0.54\n');
  });
});
