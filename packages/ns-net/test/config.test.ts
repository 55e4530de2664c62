import { describe, expect, it } from 'vitest';
import { ValueError } from '@vzkit/core';
import { addAddress, deleteAddress, parseAddressList, parseVeAddress } from '../src/addresses.js';
import { IP_ADDRESS, NAMESERVER, NEIGHBOUR_DEVS, SEARCHDOMAIN } from '../src/config.js';
import { defaultHostIfname, formatNetifs, netifAdd, netifDel, parseNetifs, resolveNetif, stableMac } from '../src/netif.js';
import { editResolvConf, nameserversOf } from '../src/resolv.js';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return e instanceof ValueError ? e.code ?? 'BAD_VALUE' : 'other';
  }
  return undefined;
};

describe('addresses', () => {
  it('parses IPv4, IPv6 and prefixes, and normalizes IPv6', () => {
    expect(parseVeAddress('198.18.0.1')).toEqual({ family: 4, ip: '198.18.0.1', prefixLen: 32, explicitPrefix: false });
    expect(parseVeAddress('198.18.0.1/24')).toMatchObject({ prefixLen: 24, explicitPrefix: true });
    expect(parseVeAddress('10.0.0.1/255.255.255.0')).toMatchObject({ prefixLen: 24 });
    expect(parseVeAddress('2001:DB8:0:0::1')).toMatchObject({ family: 6, ip: '2001:db8::1', prefixLen: 128 });
    expect(IP_ADDRESS.type.format(parseAddressList('198.18.0.1 2001:db8::1/64 198.18.0.1'))).toBe('198.18.0.1 2001:db8::1/64');
  });

  it.each(['1.2.3', '198.18.0.1/33', '198.18.0.1/0', 'host.example', '127.0.0.2', '0.0.0.0', '224.0.0.1', '255.255.255.255', '::1', '::', 'ff02::1', 'fe80::1', '10.0.0.1/255.0.255.0', '2001:db8::1/129'])(
    'refuses %s with BAD_IP (exit 71)', (a) => {
      expect(codeOf(() => parseVeAddress(a))).toBe('BAD_IP');
    });

  it('--ipadd appends and --ipdel removes one or all; deleting a missing one is an error', () => {
    let l = addAddress([], '198.18.0.1');
    l = addAddress(l, '2001:db8::5');
    l = addAddress(l, '198.18.0.1/24');
    expect(l.map((a) => `${a.ip}/${a.prefixLen}`)).toEqual(['198.18.0.1/24', '2001:db8::5/128']);
    expect(deleteAddress(l, '2001:db8:0::5').map((a) => a.ip)).toEqual(['198.18.0.1']);
    expect(deleteAddress(l, 'all')).toEqual([]);
    expect(codeOf(() => deleteAddress(l, '198.18.0.9'))).toBe('BAD_IP');
  });
});

describe('NETIF', () => {
  it('round-trips the config form in vzctl order', () => {
    const raw = 'ifname=eth0,bridge=br0,mac=00:18:51:AA:BB:CC,host_ifname=veth101.0,host_mac=00:18:51:dd:ee:ff;ifname=eth1';
    const l = parseNetifs(raw);
    expect(l[0]).toEqual({ ifname: 'eth0', bridge: 'br0', mac: '00:18:51:aa:bb:cc', hostIfname: 'veth101.0', hostMac: '00:18:51:dd:ee:ff' });
    expect(formatNetifs(l)).toBe(raw.replace('AA:BB:CC', 'aa:bb:cc'));
  });

  it('--netif_add takes positional fields, --netif_del removes', () => {
    let l = netifAdd([], 'eth0');
    l = netifAdd(l, 'eth1,,vz-h1,,br0');
    expect(l).toEqual([{ ifname: 'eth0' }, { ifname: 'eth1', hostIfname: 'vz-h1', bridge: 'br0' }]);
    expect(codeOf(() => netifAdd(l, 'eth0'))).toBe('VETH_ERROR');
    expect(netifDel(l, 'eth0')).toEqual([{ ifname: 'eth1', hostIfname: 'vz-h1', bridge: 'br0' }]);
    expect(netifDel(l, 'all')).toEqual([]);
    expect(codeOf(() => netifDel(l, 'eth7'))).toBe('VETH_ERROR');
  });

  it.each(['ifname=', 'mac=00:11:22:33:44:55', 'ifname=eth0,mac=01:00:00:00:00:01', 'ifname=averyverylongname0', 'ifname=eth0,colour=red', 'ifname=lo', 'ifname=eth0;ifname=eth0', 'ifname=a b'])(
    'refuses %s', (raw) => {
      expect(codeOf(() => parseNetifs(raw))).toBe('BAD_VALUE');
    });

  it('makes stable names and MACs: the same for a CTID and interface, different otherwise', () => {
    expect(defaultHostIfname(101, 'eth0')).toBe('veth101.0');
    expect(defaultHostIfname(101, 'lan')).toMatch(/^veth101\.x[0-9a-f]{3}$/);
    expect(stableMac(101, 'eth0')).toBe(stableMac(101, 'eth0'));
    expect(stableMac(101, 'eth0')).not.toBe(stableMac(102, 'eth0'));
    expect(stableMac(101, 'eth0')).toMatch(/^00:18:51(:[0-9a-f]{2}){3}$/);
    const r = resolveNetif(101, { ifname: 'eth0' });
    expect(r.mac).not.toBe(r.hostMac);
  });
});

describe('DNS', () => {
  it('replaces nameserver and search lines and keeps the rest', () => {
    const cur = '# made by hand\ndomain old.example\nnameserver 9.9.9.9\noptions ndots:2\n';
    expect(editResolvConf(cur, ['198.18.0.53', '2001:db8::53'], ['a.example', 'b.example'])).toBe(
      'search a.example b.example\n# made by hand\noptions ndots:2\nnameserver 198.18.0.53\nnameserver 2001:db8::53\n');
    expect(editResolvConf(cur, undefined, ['x.example'])).toBe('search x.example\n# made by hand\nnameserver 9.9.9.9\noptions ndots:2\n');
    expect(nameserversOf('nameserver 1.1.1.1\n#nameserver 2.2.2.2\n nameserver 3.3.3.3')).toEqual(['1.1.1.1', '3.3.3.3']);
  });

  it('refuses bad servers and domains with vzctl codes 72 and 73', () => {
    expect(codeOf(() => NAMESERVER.type.parse('8.8.8'))).toBe('BAD_NAMESERVER');
    expect(NAMESERVER.type.parse('inherit 198.18.0.53')).toEqual(['inherit', '198.18.0.53']);
    expect(codeOf(() => SEARCHDOMAIN.type.parse('bad_domain!'))).toBe('BAD_SEARCHDOMAIN');
    expect(SEARCHDOMAIN.type.parse('example.com corp.example')).toEqual(['example.com', 'corp.example']);
  });

  it('NEIGHBOUR_DEVS is detect, none or device names', () => {
    expect(NEIGHBOUR_DEVS.type.parse('detect')).toBe('detect');
    expect(NEIGHBOUR_DEVS.type.parse('eth0 eth1')).toEqual(['eth0', 'eth1']);
    expect(codeOf(() => NEIGHBOUR_DEVS.type.parse('eth0 a/b'))).toBe('BAD_VALUE');
  });
});
