import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isVzError, type LaunchSpec } from '@vzkit/core';
import {
  ARITY,
  decodeRecords,
  encodeJoinSpec,
  encodeRecords,
  encodeStartSpec,
  idmapRecords,
  injectRecords,
  parseReply,
  rlimitName,
} from '../src/launcher/protocol.js';
import { launcherError } from '../src/launcher/launcher.js';

const spec: LaunchSpec = {
  ctid: 101,
  namespaces: ['mnt', 'uts', 'pid'],
  ops: [
    { op: 'mount', source: 'proc', target: '/proc', fstype: 'proc', flags: ['nosuid', 'nodev'] },
    { op: 'sethostname', name: 'ct101' },
    { op: 'rlimit', resource: 'nofile', soft: 1024, hard: Infinity },
    { op: 'capDrop', caps: [16, 22] },
    { op: 'mknod', path: '/dev/null', kind: 'c', major: 1, minor: 3, mode: 0o666 },
  ],
  init: { argv: ['/sbin/init', 'splash'], env: ['PATH=/bin', 'container=vzkit'], cwd: '/' },
  console: '/var/log/ct101.console',
  uidMap: [{ inside: 0, outside: 100000, count: 65536 }],
};

describe('launcher spec encoding', () => {
  it('frames every record as NUL-terminated tokens between the magic and end', () => {
    const buf = encodeStartSpec(spec);
    expect(buf.subarray(0, 5).toString()).toBe('VZL1\0');
    expect(buf.subarray(-4).toString()).toBe('end\0');
  });

  it('keeps ops in plan order, so an op index from the launcher names the same op', () => {
    const records = decodeRecords(encodeStartSpec(spec));
    const ops = records.filter(([k]) => ['mount', 'sethostname', 'rlimit', 'capDrop', 'mknod'].includes(k));
    expect(ops).toEqual([
      ['mount', 'proc', '/proc', 'proc', 'nosuid,nodev', ''],
      ['sethostname', 'ct101'],
      ['rlimit', 'NOFILE', '1024', 'unlimited'],
      ['capDrop', '16,22'],
      ['mknod', '/dev/null', 'c', '1', '3', String(0o666)],
    ]);
  });

  it('carries namespaces, console, id maps and the init program', () => {
    const records = decodeRecords(encodeStartSpec(spec));
    expect(records.filter(([k]) => k === 'ns')).toEqual([['ns', 'mnt'], ['ns', 'uts'], ['ns', 'pid']]);
    expect(records).toContainEqual(['console', '/var/log/ct101.console']);
    expect(records).toContainEqual(['uidmap', '0', '100000', '65536']);
    expect(records.filter(([k]) => k === 'arg')).toEqual([['arg', '/sbin/init'], ['arg', 'splash']]);
    expect(records.filter(([k]) => k === 'env').map(([, v]) => v)).toEqual(['PATH=/bin', 'container=vzkit']);
    expect(records).toContainEqual(['cwd', '/']);
  });

  it('encodes an exec join with cgroups, caps, the Landlock domain, the seccomp filter and tty', () => {
    const records = decodeRecords(encodeJoinSpec({
      pid: 42, namespaces: ['mnt'], cgroupProcs: ['/sys/fs/cgroup/pids/x/cgroup.procs'], capDrop: [21],
      ops: [{ op: 'landlock' }, {
        op: 'seccomp', deny: ['bpf', 'kexec_load'],
        rules: [{ call: 'clone3', errno: 'ENOSYS' }, { call: 'unshare', errno: 'EPERM', when: [{ arg: 0, bits: 0x10000000 }] }],
      }], argv: ['sh'], env: [], tty: true,
    }));
    expect(records).toEqual([
      ['pid', '42'],
      ['ns', 'mnt'],
      ['cgroup', '/sys/fs/cgroup/pids/x/cgroup.procs'],
      ['tty', '1'],
      ['capDrop', '21'],
      ['landlock'],
      ['seccomp', 'bpf,kexec_load,clone3:ENOSYS,unshare:EPERM:0&268435456'],
      ['arg', 'sh'],
    ]);
  });

  it("puts vzkit's own setup ops first in a join, and only mounts and writes", () => {
    const base = { pid: 42, namespaces: [], cgroupProcs: [], capDrop: [], ops: [{ op: 'landlock' } as const], argv: ['true'], env: [], tty: false };
    const records = decodeRecords(encodeJoinSpec({
      ...base,
      setup: [
        { op: 'write', path: '/proc/sys/kernel/shmall', data: '200' },
        { op: 'mount', source: 'tmpfs', target: '/dev/shm', fstype: 'tmpfs', flags: ['remount', 'nosuid', 'nodev'], data: 'size=1m' },
      ],
    }));
    expect(records.slice(0, 3)).toEqual([
      ['write', '/proc/sys/kernel/shmall', '200'],
      ['mount', 'tmpfs', '/dev/shm', 'tmpfs', 'remount,nosuid,nodev', 'size=1m'],
      ['pid', '42'],
    ]);
    expect(() => encodeJoinSpec({ ...base, setup: [{ op: 'pivotRoot', root: '/' }] })).toThrow(/a pivotRoot op cannot be made inside a running VE/);
  });

  it('refuses ops a join cannot run and system call names that are not names', () => {
    const base = { pid: 42, namespaces: [], cgroupProcs: [], capDrop: [], argv: ['sh'], env: [], tty: false };
    expect(() => encodeJoinSpec({ ...base, ops: [{ op: 'chdir', path: '/' }] })).toThrow(/a chdir op cannot run when joining a VE/);
    expect(() => encodeJoinSpec({ ...base, ops: [{ op: 'seccomp', deny: ['bpf,keyctl'] }] })).toThrow(/not a system call name/);
    const rule = (r: object) => encodeJoinSpec({ ...base, ops: [{ op: 'seccomp', deny: [], rules: [r as never] }] });
    expect(() => rule({ call: 'clone:x', errno: 'EPERM' })).toThrow(/not a system call name/);
    expect(() => rule({ call: 'clone', errno: 'EACCES' })).toThrow(/EACCES is not EPERM or ENOSYS/);
    expect(() => rule({ call: 'clone', errno: 'EPERM', when: [{ arg: 6, bits: 1 }] })).toThrow(/argument 6 of clone is not 0-5/);
    expect(() => rule({ call: 'clone', errno: 'EPERM', when: [{ arg: 0, bits: 0 }] })).toThrow(/bits 0 of clone must be a positive integer/);
    expect(() => rule({ call: 'socket', errno: 'EPERM', when: [{ arg: 0, equals: 2 ** 32 }] })).toThrow(/value 4294967296 of socket is not a 32-bit number/);
    expect(() => rule({ call: 'socket', errno: 'EPERM', when: Array.from({ length: 7 }, () => ({ arg: 0, equals: 1 })) })).toThrow(/more than 6 conditions/);
  });

  it('refuses a NUL inside a token, a wrong arity and an empty argv', () => {
    const bad = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return isVzError(e) ? e.code : 'not a VzError';
      }
      return 'no error';
    };
    expect(bad(() => encodeStartSpec({ ...spec, ops: [{ op: 'sethostname', name: 'a\0b' }] }))).toBe('BAD_VALUE');
    expect(bad(() => encodeRecords([['mount', '/a', '/b']]))).toBe('BAD_VALUE');
    expect(bad(() => encodeStartSpec({ ...spec, init: { argv: [], env: [], cwd: '/' } }))).toBe('BAD_VALUE');
    expect(bad(() => encodeStartSpec({ ...spec, ops: [{ op: 'mkdir', path: '/x', mode: -1 }] }))).toBe('BAD_VALUE');
  });

  it('encodes an idmapped bind: both maps, then the bind; refuses one without a map', () => {
    const map = [{ inside: 0, outside: 100000, count: 65536 }];
    expect(decodeRecords(encodeRecords(idmapRecords({ source: '/t', target: '/m', uidMap: map, gidMap: map, readOnly: true })))).toEqual([
      ['uidmap', '0', '100000', '65536'], ['gidmap', '0', '100000', '65536'], ['bind', '/t', '/m', 'ro'],
    ]);
    expect(() => idmapRecords({ source: '/t', target: '/m', uidMap: map, gidMap: [] })).toThrow(/needs a uid and a gid map/);
  });

  it('encodes an inject: pid, user then mnt, devnodes (no source: mknod) and binds; refuses other ops', () => {
    const records = injectRecords({
      pid: 42, namespaces: ['mnt', 'net', 'user'],
      ops: [
        { op: 'devnode', path: '/dev/net/tun', kind: 'c', major: 10, minor: 200, mode: 0o600, source: '/dev/net/tun' },
        { op: 'devnode', path: '/dev/ppp', kind: 'c', major: 108, minor: 0, mode: 0o600 },
        { op: 'umount', target: '/proc/meminfo', detach: true },
      ],
    });
    expect(records).toEqual([
      ['pid', '42'], ['ns', 'mnt'], ['ns', 'user'],
      ['devnode', '/dev/net/tun', 'c', '10', '200', '384', '/dev/net/tun'],
      ['devnode', '/dev/ppp', 'c', '108', '0', '384', ''],
      ['umount', '/proc/meminfo', '1'],
    ]);
    expect(() => injectRecords({ pid: 42, namespaces: ['mnt'], ops: [{ op: 'mount', source: 'tmpfs', target: '/x', fstype: 'tmpfs', flags: [] }] }))
      .toThrow('a tmpfs mount op cannot be injected into a running VE');
    expect(() => injectRecords({ pid: 42, namespaces: ['user'], ops: [] })).toThrow("inject needs the VE's mount namespace");
  });

  it('encodes rules on arguments, equal values and bits, one token per call', () => {
    const base = { pid: 42, namespaces: [], cgroupProcs: [], capDrop: [], argv: ['sh'], env: [], tty: false };
    const op = { op: 'seccomp' as const, deny: [], rules: [
      { call: 'socket', errno: 'EPERM' as const, when: [{ arg: 0, equals: 16 }, { arg: 2, equals: 12 }] },
      { call: 'clone', errno: 'EPERM' as const, when: [{ arg: 0, bits: 0x10000000 }] },
    ] };
    expect(decodeRecords(encodeJoinSpec({ ...base, ops: [op] }))).toContainEqual(['seccomp', 'socket:EPERM:0=16:2=12,clone:EPERM:0&268435456']);
  });

  it('names rlimits the way the launcher table does', () => {
    expect(['nofile', 'RLIMIT_NOFILE', 'NOFILE'].map(rlimitName)).toEqual(['NOFILE', 'NOFILE', 'NOFILE']);
  });

  it('has the same keywords and arities as native/spec.c', () => {
    const c = readFileSync(new URL('../native/spec.c', import.meta.url), 'utf8');
    const table = Object.fromEntries([...c.matchAll(/\{ "(\w+)", K_\w+, (\d) \}/g)].map((m) => [m[1], Number(m[2])]));
    expect(table).toEqual({ ...ARITY, end: 0 });
  });
});

describe('launcher replies', () => {
  it('parses every reply kind', () => {
    expect(parseReply('PID 1234')).toEqual({ kind: 'pid', pid: 1234 });
    expect(parseReply('OK')).toEqual({ kind: 'ok' });
    expect(parseReply('STARTED 77')).toEqual({ kind: 'started', pid: 77 });
    expect(parseReply('EXIT 137 9')).toEqual({ kind: 'exit', code: 137, signal: 9 });
    expect(parseReply('ERR 3 mount 2 /mnt/with space')).toEqual({ kind: 'err', index: 3, step: 'mount', errno: 2, detail: '/mnt/with space' });
    expect(parseReply('ERR -1 setsid 1 ')).toEqual({ kind: 'err', index: -1, step: 'setsid', errno: 1, detail: '' });
  });

  it('rejects anything else', () => {
    expect(() => parseReply('PID x')).toThrow(/unexpected reply/);
    expect(() => parseReply('hello')).toThrow(/unexpected reply/);
  });

  it('turns ERR into an ENV_CREATE error naming the op and the errno', () => {
    const err = launcherError('ENV_CREATE', 'CT 101: start', parseReply('ERR 0 mount 2 /proc') as never, spec.ops);
    expect(err.code).toBe('ENV_CREATE');
    expect(err.errno).toBe('ENOENT');
    expect(err.path).toBe('/proc');
    expect(err.message).toMatch(/^CT 101: start: op #0 mount proc on \/proc \(proc\): ENOENT/);
  });

  it('names a step that is not an op by its name', () => {
    const err = launcherError('ENV_CREATE', 'CT 7: start', parseReply('ERR -1 clone 1 ') as never);
    expect(err.message).toMatch(/^CT 7: start: clone: EPERM/);
  });
});
