/**
 * rtnetlink against the real kernel, only ever in network namespaces this test makes:
 * each is a `sleep` started by `unshare --net`, used through /proc/PID/ns/net and killed
 * by PID afterwards (which frees the namespace and every link in it).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isVzError, type VzError } from '@vzkit/core';
import { IFF, Rtnl } from '../src/net/index.js';
import { RTN } from '../src/net/netlink-codec.js';

interface Netns {
  child: ChildProcess;
  pid: number;
  path: string;
}

const started: Netns[] = [];
const opened: Rtnl[] = [];
const fds: number[] = [];

/** A sleep in a fresh network namespace; resolves once unshare(2) has happened. */
async function newNetns(): Promise<Netns> {
  const child = spawn('unshare', ['--net', 'sleep', '60'], { stdio: 'ignore' });
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start unshare');
  const ns: Netns = { child, pid, path: `/proc/${pid}/ns/net` };
  started.push(ns);
  const own = readlinkSync('/proc/self/ns/net');
  // Until unshare has run, /proc/PID/ns/net is still ours: never touch it then.
  for (let i = 0; i < 200; i++) {
    try {
      if (readlinkSync(ns.path) !== own) return ns;
    } catch {
      /* not there yet */
    }
    await sleep(5);
  }
  throw new Error(`pid ${pid} did not enter a new network namespace`);
}

function rtnlIn(ns: Netns): Rtnl {
  const r = Rtnl.open({ netnsPath: ns.path });
  opened.push(r);
  return r;
}

function nsFd(ns: Netns): number {
  const fd = openSync(ns.path, 'r');
  fds.push(fd);
  return fd;
}

function rejection(fn: () => unknown): VzError {
  try {
    fn();
  } catch (e) {
    if (isVzError(e)) return e;
    throw e;
  }
  throw new Error('expected a failure');
}

function which(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/** One TCP round trip from b to a, each end a node run by nsenter in its namespace. */
async function tcpAcross(a: Netns, b: Netns, host: string, port: number): Promise<string> {
  const server = spawn('nsenter', [`--net=${a.path}`, process.execPath, '-e',
    `const s = require('net').createServer((c) => { c.end('pong'); s.close(); }); s.listen(${port}, '${host}', () => console.log('ready'));`,
  ], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      server.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
      server.on('exit', (code) => reject(new Error(`server exited ${code}`)));
    });
    const client = spawnSync('nsenter', [`--net=${b.path}`, process.execPath, '-e',
      `const c = require('net').connect(${port}, '${host}'); let out = ''; c.on('data', (d) => out += d); c.on('end', () => { process.stdout.write(out); process.exit(0); }); c.on('error', (e) => { console.error(e.message); process.exit(1); }); setTimeout(() => process.exit(2), 3000);`,
    ], { encoding: 'utf8' });
    return client.stdout;
  } finally {
    if (server.exitCode === null) server.kill();
  }
}

let a: Netns;
let b: Netns;

beforeEach(async () => {
  [a, b] = await Promise.all([newNetns(), newNetns()]);
});

afterEach(async () => {
  for (const r of opened.splice(0)) r.close();
  for (const fd of fds.splice(0)) closeSync(fd);
  await Promise.all(started.splice(0).map(async ({ child, pid }) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    process.kill(pid, 'SIGKILL');
    await gone;
  }));
});

describe('Rtnl in throwaway network namespaces', () => {
  it('brings lo up', () => {
    const r = rtnlIn(a);
    const links = r.linkList();
    expect(links.map((l) => l.name)).toEqual(['lo']);
    expect(links[0]!.up).toBe(false);
    r.linkSetUp('lo');
    const lo = r.linkByName('lo')!;
    expect(lo.index).toBe(1);
    expect(lo.flags & IFF.UP).toBe(IFF.UP);
    expect(lo.flags & IFF.LOOPBACK).toBe(IFF.LOOPBACK);
    expect(r.linkByName('nope0')).toBeUndefined();
    r.linkSetDown(1);
    expect(r.linkByIndex(1)!.up).toBe(false);
  });

  it('looks up the one routing entry for an address: own (local), a host route, a network, none', () => {
    const r = rtnlIn(a);
    r.linkSetUp('lo');
    r.createVethPair('rm0', 'rm1');
    r.linkSetUp('rm0');
    r.linkSetUp('rm1');
    r.addrAdd('rm0', '198.18.9.1/24');
    r.routeAdd({ dst: '198.18.10.7/32', dev: 'rm1' });
    expect(r.routeMatch('198.18.9.1')).toMatchObject({ dst: '198.18.9.1/32', type: RTN.LOCAL });
    expect(r.routeMatch('198.18.10.7')).toMatchObject({ dst: '198.18.10.7/32', type: RTN.UNICAST, dev: r.linkByName('rm1')!.index });
    expect(r.routeMatch('198.18.9.200')).toMatchObject({ dst: '198.18.9.0/24', type: RTN.UNICAST });
    expect(r.routeMatch('203.0.113.5')).toBeUndefined();
    r.linkDelete('rm0');
  });

  it('wires a veth pair venet-style across two namespaces, lists, talks, and tears down', async () => {
    const ra = rtnlIn(a);
    const rb = rtnlIn(b);
    ra.createVethPair('ve0', 've1', { peerNetnsFd: nsFd(b), mtu: 1400, mac: '02:00:c6:12:00:01', peerMac: '02:00:c6:12:00:02' });
    const ve0 = ra.linkByName('ve0')!;
    expect(ve0).toMatchObject({ kind: 'veth', mtu: 1400, mac: '02:00:c6:12:00:01', up: false });
    expect(ra.linkByName('ve1')).toBeUndefined();
    const ve1 = rb.linkByName('ve1')!;
    expect(ve1).toMatchObject({ kind: 'veth', mtu: 1400, mac: '02:00:c6:12:00:02' });
    ra.linkSetMac('ve0', '02:00:c6:12:00:11');
    expect(ra.linkByIndex(ve0.index)!.mac).toBe('02:00:c6:12:00:11');

    for (const [r, dev, me, peer] of [[ra, 've0', '1', '2'], [rb, 've1', '2', '1']] as const) {
      r.linkSetUp('lo');
      r.linkSetUp(dev);
      r.addrAdd(dev, `198.18.0.${me}/32`);
      r.addrAdd(dev, `fd00::${me}/64`, { nodad: true });
      r.routeAdd({ dst: `198.18.0.${peer}/32`, dev });
    }
    ra.routeAdd({ dst: 'fd00:1::/64', dev: 've0', gateway: 'fd00::2' });
    ra.neighProxyAdd('198.18.0.9', 've0');
    ra.neighProxyAdd('fd00::9', 've0');

    expect(ra.linkByName('ve0')!.up).toBe(true);
    // Bringing ve0 up gave it an fe80:: link-local address as well.
    expect(ra.addrList('ve0').map((x) => x.cidr).filter((c) => !c.startsWith('fe80:')).sort()).toEqual(['198.18.0.1/32', 'fd00::1/64']);
    expect(ra.addrList(undefined, 4).map((x) => x.cidr).sort()).toEqual(['127.0.0.1/8', '198.18.0.1/32']);
    const routes = ra.routeList();
    expect(routes).toContainEqual(expect.objectContaining({ family: 4, dst: '198.18.0.2/32', dev: ve0.index, scope: 253, table: 254 }));
    expect(routes).toContainEqual(expect.objectContaining({ family: 6, dst: 'fd00:1::/64', dev: ve0.index, gateway: 'fd00::2' }));
    expect(ra.neighProxyList().map((n) => [n.dst, n.index, n.proxy]).sort()).toEqual([['198.18.0.9', ve0.index, true], ['fd00::9', ve0.index, true]]);

    // Traffic across the pair: ICMP when ping is installed, TCP over v4 and v6 always.
    if (which('ping')) {
      const ping = spawnSync('nsenter', [`--net=${b.path}`, 'ping', '-c1', '-W1', '198.18.0.1'], { encoding: 'utf8' });
      expect(ping.status, ping.stdout + ping.stderr).toBe(0);
    }
    const before = { a: ra.linkStats(), names: ra.linkNames() };
    expect(await tcpAcross(a, b, '198.18.0.1', 7801)).toBe('pong');
    expect(await tcpAcross(a, b, 'fd00::1', 7802)).toBe('pong');
    // The link counters (RTM_GETSTATS): what one end sent, the other received.
    expect(before.names.get(ve0.index)).toBe('ve0');
    // Both ends read while no packet passed between the reads: a fresh IPv6 link still
    // sends router solicitations and MLD reports now and then (veth delivers at once, so
    // a packet either way shows in ve0's counters read again).
    let sa = ra.linkStats().get(ve0.index)!;
    let sb = rb.linkStats().get(ve1.index)!;
    for (let i = 0; i < 20; i++) {
      const again = ra.linkStats().get(ve0.index)!;
      if (again.txPackets === sa.txPackets && again.rxPackets === sa.rxPackets) break;
      await new Promise((r) => setTimeout(r, 50));
      sa = ra.linkStats().get(ve0.index)!;
      sb = rb.linkStats().get(ve1.index)!;
    }
    expect(sa.txPackets).toBeGreaterThan(before.a.get(ve0.index)!.txPackets);
    expect(sb.rxBytes).toBe(sa.txBytes);
    expect(sb.rxPackets).toBe(sa.txPackets);
    expect(sa.rxPackets).toBe(sb.txPackets);

    // A duplicate is refused with the errno and what was being done.
    const dup = rejection(() => ra.addrAdd(ve0.index, '198.18.0.1/32'));
    expect(dup.errno).toBe('EEXIST');
    expect(dup.message).toMatch(/^add address 198\.18\.0\.1\/32 to ve0: EEXIST/);
    expect(rejection(() => ra.routeAdd({ dst: '198.18.0.2/32', dev: 've0' })).message).toMatch(/^add route 198\.18\.0\.2\/32 dev ve0: EEXIST/);
    // Proxy entries are the exception: the kernel ignores NLM_F_EXCL for them, a second add is a no-op.
    ra.neighProxyAdd('198.18.0.9', 've0');
    expect(ra.neighProxyList(4)).toHaveLength(1);

    // Teardown, one kind at a time, each checked.
    ra.neighProxyDel('198.18.0.9', 've0');
    ra.neighProxyDel('fd00::9', ve0.index);
    expect(ra.neighProxyList()).toEqual([]);
    expect(ra.neighProxyDel('198.18.0.9', 've0', { ifMissing: true })).toBe(false);
    ra.routeDel({ dst: 'fd00:1::/64', dev: 've0', gateway: 'fd00::2' });
    ra.routeDel({ dst: '198.18.0.2/32', dev: 've0' });
    expect(ra.routeList().filter((r) => r.dst === '198.18.0.2/32' || r.dst === 'fd00:1::/64')).toEqual([]);
    expect(ra.routeDel({ dst: '198.18.0.2/32', dev: 've0' }, { ifMissing: true })).toBe(false);
    ra.addrDel('ve0', '198.18.0.1/32');
    ra.addrDel('ve0', 'fd00::1/64');
    expect(ra.addrList('ve0').filter((x) => x.family === 4 || !x.address.startsWith('fe80'))).toEqual([]);
    expect(ra.addrDel('ve0', '198.18.0.1/32', { ifMissing: true })).toBe(false);
    ra.linkSetDown('ve0');
    expect(ra.linkDelete('ve0')).toBe(true);
    expect(ra.linkList().map((l) => l.name)).toEqual(['lo']);
    // Deleting one end of a veth takes the other with it.
    expect(rb.linkList().map((l) => l.name)).toEqual(['lo']);
    expect(ra.linkDelete('ve0', { ifMissing: true })).toBe(false);
    expect(rejection(() => ra.linkDelete('ve0')).message).toMatch(/^delete link ve0: ENODEV/);
    expect(rejection(() => ra.addrAdd('ve0', '198.18.0.1/32')).message).toMatch(/^find network device ve0: ENODEV/);
    expect(rejection(() => ra.linkSetUp(ve0.index)).message).toMatch(new RegExp(`^set ifindex ${ve0.index} up: ENODEV`));
  });

  it('moves a link to another namespace and measures a venet-like set-up', () => {
    const ra = rtnlIn(a);
    const rb = rtnlIn(b);
    const bfd = nsFd(b);
    ra.linkSetUp('lo');
    const runs: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      // veth pair, peer moved out, 2 addresses, up, a /32 route: what a VE start does.
      ra.createVethPair('veth100', 'eth0', { mtu: 1500 });
      ra.linkSetNetns('eth0', bfd);
      ra.addrAdd('veth100', '198.18.1.1/32');
      ra.addrAdd('veth100', 'fd00::100:1/128', { nodad: true });
      ra.linkSetUp('veth100');
      // After up: IPv4 refuses a nexthop on a device that is down (ENETDOWN).
      ra.routeAdd({ dst: '198.18.1.2/32', dev: 'veth100' });
      runs.push(performance.now() - t0);
      expect(ra.linkByName('eth0')).toBeUndefined();
      expect(rb.linkByName('eth0')).toMatchObject({ kind: 'veth' });
      ra.linkDelete('veth100');
      expect(rb.linkByName('eth0')).toBeUndefined();
    }
    // The same with the peer born in b (IFLA_NET_NS_FD in VETH_INFO_PEER): no move.
    const direct: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      ra.createVethPair('veth100', 'eth0', { mtu: 1500, peerNetnsFd: bfd });
      ra.addrAdd('veth100', '198.18.1.1/32');
      ra.addrAdd('veth100', 'fd00::100:1/128', { nodad: true });
      ra.linkSetUp('veth100');
      ra.routeAdd({ dst: '198.18.1.2/32', dev: 'veth100' });
      direct.push(performance.now() - t0);
      expect(rb.linkByName('eth0')).toMatchObject({ kind: 'veth' });
      ra.linkDelete('veth100');
    }
    const stats = (xs: number[]) => {
      const s = [...xs].sort((x, y) => x - y);
      return `median ${s[s.length >> 1]!.toFixed(2)} ms, min ${s[0]!.toFixed(2)} ms, max ${s[s.length - 1]!.toFixed(2)} ms over ${s.length} runs`;
    };
    console.log(`venet-like set-up (veth pair + move + 2 addresses + up + /32 route): ${stats(runs)}`);
    console.log(`the same with the peer created in its namespace (no move): ${stats(direct)}`);
    expect(Math.min(...runs)).toBeLessThan(1000);
    expect(Math.min(...direct)).toBeLessThan(1000);
  });

  it('opens a socket in a namespace without leaving the thread there', () => {
    const before = readlinkSync('/proc/thread-self/ns/net');
    const r = rtnlIn(a);
    expect(readlinkSync('/proc/thread-self/ns/net')).toBe(before);
    // The socket still acts in a: a link made through it is not in b.
    r.createVethPair('probe0', 'probe1');
    expect(rtnlIn(b).linkByName('probe0')).toBeUndefined();
    expect(r.linkByName('probe1')).toMatchObject({ kind: 'veth' });
    expect(() => Rtnl.open({ netnsPath: '/proc/nonexistent/ns/net' })).toThrow(/open the network namespace.*ENOENT/);
  });
});
