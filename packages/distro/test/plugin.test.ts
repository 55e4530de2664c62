import { readFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { definePlugin, defineKey, type ValueType } from '@vzkit/core';
import { failure, fakeVe, type FakeVe } from '@vzkit/fake-host';
import { distroPlugin, editHosts, HOSTS_MARKER, parseUserPassword } from '../src/index.js';

const text: ValueType<string> = { arg: 'X', parse: (r) => r, format: (v) => v };
/** Stand-ins for ns-uts' and ns-net's keys: dist reads them by name only. */
const others = definePlugin({
  name: 'test-owner',
  configKeys: [
    defineKey({ name: 'HOSTNAME', flag: 'hostname', type: text, live: true, description: 'h' }),
    defineKey({ name: 'IP_ADDRESS', flag: 'ipaddress', type: text, live: true, description: 'i' }),
  ],
  hooks: {},
});

let t: FakeVe;
beforeEach(async () => {
  t = await fakeVe([others, distroPlugin]);
});
afterEach(async () => {
  await t.cleanup();
});

const hostsOf = (ctid: number) => t.fake.fs.read(`${t.runtime.paths.root}/${ctid}/etc/hosts`);

describe('/etc/hosts', () => {
  it('keeps the guest lines and replaces only the marked one', () => {
    const cur = `127.0.0.1 localhost\n::1 localhost ip6-localhost\n10.0.0.9 db\n${HOSTS_MARKER}\n198.18.0.1 old.example.com old\n`;
    expect(editHosts(cur, 'web1.example.com', '198.18.0.2')).toBe(
      `127.0.0.1 localhost\n::1 localhost ip6-localhost\n10.0.0.9 db\n${HOSTS_MARKER}\n198.18.0.2 web1.example.com web1\n`);
    expect(editHosts('', 'box', undefined)).toBe(`127.0.0.1 localhost.localdomain localhost\n${HOSTS_MARKER}\n127.0.1.1 box\n`);
  });

  it('is written at start and follows HOSTNAME and IP_ADDRESS live', async () => {
    await t.create(101, { HOSTNAME: 'web1.example.com', IP_ADDRESS: '198.18.0.1/24 2001:db8::1' });
    t.fake.fs.seed(`${t.runtime.paths.root}/101/etc/hosts`, '127.0.0.1 localhost\n');
    await t.runtime.start(101);
    expect(hostsOf(101)).toBe(`127.0.0.1 localhost\n${HOSTS_MARKER}\n198.18.0.1 web1.example.com web1\n`);
    await t.runtime.set(101, [{ flag: 'hostname', arg: 'web2' }]);
    expect(hostsOf(101)).toBe(`127.0.0.1 localhost\n${HOSTS_MARKER}\n198.18.0.1 web2\n`);
    await t.runtime.set(101, [{ flag: 'ipaddress', arg: '198.18.0.7' }]);
    expect(hostsOf(101)).toBe(`127.0.0.1 localhost\n${HOSTS_MARKER}\n198.18.0.7 web2\n`);
  });

  it('never follows a guest symlink at /etc/hosts', async () => {
    await t.create(101, { HOSTNAME: 'web1' });
    t.fake.fs.seed('/etc/hosts', '127.0.0.1 localhost\n');
    t.fake.fs.seedLink(`${t.runtime.paths.root}/101/etc/hosts`, '/etc/hosts');
    const before = t.fake.fs.read('/etc/hosts');
    await t.runtime.start(101);
    expect(t.fake.fs.read('/etc/hosts')).toBe(before);
    expect(t.warnings).toEqual([expect.stringMatching(/^CT 101 \[distro\]: \/etc\/hosts is a symbolic link, which vzkit does not follow; the hostname was not written into it$/)]);
  });
});

describe('--userpasswd', () => {
  it('parses user:password and refuses bad ones without echoing a password', () => {
    expect(parseUserPassword('root:se:cret')).toEqual({ user: 'root', password: 'se:cret' });
    expect(() => parseUserPassword('secretword')).toThrow(/^the value is not user:password$/);
    expect(() => parseUserPassword('Bad User:x')).toThrow(/not a valid user name/);
    expect(() => parseUserPassword('root:')).toThrow(/empty/);
    expect(parseUserPassword('root:with spaces')).toEqual({ user: 'root', password: 'with spaces' });
  });

  it('acts on a running VE only, and is never saved', async () => {
    await t.create(101);
    const e = await failure(t.runtime.set(101, [{ flag: 'userpasswd', arg: 'root:x' }], { save: true }));
    expect([e.code, e.exit]).toEqual(['VE_NOT_RUNNING', 31]);
    expect(e.message).toBe('CT 101 is not running: --userpasswd acts on a running VE');
  });

  it('runs chpasswd inside with the pairs on stdin, not on a command line', async () => {
    await t.create(101);
    await t.runtime.start(101);
    const seen: Array<{ argv: string[]; input: string }> = [];
    t.fake.commands.register('sh', (ctx) => {
      seen.push({ argv: ctx.argv, input: ctx.input ?? '' });
      return { code: 0 };
    });
    const r = await t.runtime.set(101, [{ flag: 'userpasswd', arg: 'root:s3cret' }, { flag: 'userpasswd', arg: 'web:pw' }], { save: true });
    expect(r.applied).toEqual(['USERPASSWD']);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.argv.join(' ')).not.toContain('s3cret');
    expect(seen[0]!.argv.slice(3)).toEqual(['sh', 'root', 'web']);
    expect(seen[0]!.input).toBe('root:s3cret\nweb:pw\n');
    expect(await readFile(`${t.runtime.paths.confDir}/101.conf`, 'utf8')).not.toContain('s3cret');
    expect(await readFile(`${t.runtime.paths.run}/101/state.json`, 'utf8')).not.toContain('s3cret');
    expect(JSON.stringify(await t.runtime.status(101))).not.toContain('s3cret');
  });
});
