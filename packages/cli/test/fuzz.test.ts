/**
 * Fuzzing the config parser and the CLI (DECISIONS: 2,000 inputs in CI, 10,000 with
 * `pnpm test:full`): generated `vzctl set` command lines and generated config files,
 * on the default composition over FakeHost. Every run must end in success or in one
 * clear error line that names the CT, with the documented exit codes, and a refused
 * command must leave the config file as it was.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '@vzkit/core';
import { keyFlags } from '../src/key-flags.js';
import { makeEnv, type Env } from './harness.js';

const INPUTS = process.env.VZKIT_TEST_SIZE === 'full' ? 10_000 : 2_000;

/** A small deterministic PRNG (mulberry32): a failure names its seed and can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VALUES = [
  '', ' ', '0', '1', '-1', '7', '100', '65536', '2147483647', '2147483648', '9223372036854775807', '99999999999999999999999',
  '1.5', '1e3', '0x10', '08', 'NaN', 'Infinity', 'unlimited', 'unlimited:unlimited', '10:5', '5:10', '1:', ':1', '1:2:3',
  '64M', '1G', '1T', '3Z', '-5M', 'yes', 'no', 'on', 'off', 'all', 'none', 'default', 'detect',
  'web1', 'web1.example.com', '-bad-', 'a'.repeat(300), 'ümlaut', '漢字', 'emoji😀', 'a b', 'a\tb', 'a\nb', 'a"b', "a'b", 'a\\b', '$(id)', '`id`', '$VEID',
  '198.18.0.1', '198.18.0.1/24', '2001:db8::1', '::1', '127.0.0.1', '198.18.1', '256.1.1.1', 'fe80::1', '198.18.0.1/99',
  'eth0', 'eth0,,,,br0', 'ifname=eth0', 'sys_time:on', 'sys_time:maybe', 'c:1:3:rw', 'b:8:0:r', 'c:999999:0:x', '0-1', '0,2', '5-2',
  'root:secret', 'root:', ':x', 'busybox', '../etc', '/etc/passwd', '--save', '-', '--',
];

/** One generated command line for `vzctl set 101`. */
function setArgv(next: () => number, flags: string[]): string[] {
  const pick = <T>(a: readonly T[]) => a[Math.floor(next() * a.length)]!;
  const argv: string[] = [];
  const n = 1 + Math.floor(next() * 4);
  for (let i = 0; i < n; i++) {
    const r = next();
    if (r < 0.8) argv.push(`--${pick(flags)}`, pick(VALUES));
    else if (r < 0.9) argv.push(`--${pick(flags)}`);
    else argv.push(pick(['--nosuchflag', '-x', 'extra', '--save', '--save', '--setmode', '--force']));
  }
  if (next() < 0.7) argv.push('--save');
  return argv;
}

/** A generated config file: real keys with fuzzed values, junk lines, broken quoting. */
function configText(next: () => number, keys: string[]): string {
  const pick = <T>(a: readonly T[]) => a[Math.floor(next() * a.length)]!;
  const lines: string[] = [];
  const n = Math.floor(next() * 8);
  for (let i = 0; i < n; i++) {
    const r = next();
    const v = pick(VALUES).replace(/\n/g, ' ');
    if (r < 0.6) lines.push(`${pick(keys)}="${v.replace(/"/g, '')}"`);
    else if (r < 0.7) lines.push(`${pick(keys)}=${v}`);
    else if (r < 0.75) lines.push(`${pick(keys)}="${v}`);
    else if (r < 0.8) lines.push(`# ${v}`);
    else if (r < 0.85) lines.push(`lowercase_key="${v}"`);
    else if (r < 0.9) lines.push(v);
    else if (r < 0.95) lines.push(`UNKNOWN_${i}="${v.replace(/"/g, '')}"`);
    else lines.push('');
  }
  return `${lines.join('\n')}\n`;
}

/**
 * A refusal's exit number: vzctl's table (plugins add their own, as OpenVZ's did; the
 * tools run in this process, so no signal is involved), never 3, an unexpected failure's.
 */
function expectClearFailure(r: { code: number; stdout: string; stderr: string }, what: string): void {
  expect(r.code > 0 && r.code < 256 && r.code !== EXIT_CODES.SYSTEM, `${what}: exit ${r.code}\n${r.stderr}`).toBe(true);
  // One error line (a hint may follow on its own line); warnings said before it are not errors.
  const lines = r.stderr.trimEnd().split('\n').filter((l) => !l.startsWith('WARNING: '));
  expect(lines.length, `${what}:\n${r.stderr}`).toBeLessThanOrEqual(2);
  expect(lines[0], what).toMatch(/^vzctl: /);
  expect(r.stderr, what).not.toMatch(/\n\s+at |TypeError|ReferenceError|undefined is not|Cannot read prop/);
}

let env: Env;
beforeAll(async () => {
  env = await makeEnv();
  expect((await env.vzctl('create', '101', '--ostemplate', 'busybox')).code).toBe(0);
  expect((await env.vzctl('create', '102', '--ostemplate', 'busybox')).code).toBe(0);
  expect((await env.vzctl('start', '102')).code).toBe(0);
}, 60_000);
afterAll(async () => {
  await env.vzctl('stop', '102', '--fast');
  await env.cleanup();
});

describe(`fuzzing (${INPUTS} inputs each)`, () => {
  it('vzctl set: success, or one clear line naming the CT and an untouched config', async () => {
    const rt = await env.factory({ root: undefined, hostNeeded: true, log: { info() {}, warn() {}, debug() {} } });
    const flags = [...new Set(keyFlags(rt, 'set').map((f) => f.name))];
    const next = rng(20261201);
    for (let i = 0; i < INPUTS; i++) {
      const ctid = next() < 0.5 ? '101' : '102';
      const argv = setArgv(next, flags);
      const before = await env.conf(Number(ctid));
      const r = await env.vzctl('set', ctid, ...argv);
      const what = `input ${i}: vzctl set ${ctid} ${JSON.stringify(argv)}`;
      if (r.code === 0) continue;
      expectClearFailure(r, what);
      expect(r.stderr.split('\n')[0], what).toMatch(new RegExp(`^vzctl: CT ${ctid}[: ]`));
      expect(await env.conf(Number(ctid)), `${what}: config changed`).toBe(before);
    }
  }, 600_000);

  it('config files: every command on a damaged config ends in success or one clear line naming the CT', async () => {
    const rt = await env.factory({ root: undefined, hostNeeded: true, log: { info() {}, warn() {}, debug() {} } });
    const keys = rt.configKeys.map((k) => k.name);
    const next = rng(1201);
    const path = env.confPath(101);
    const good = await readFile(path, 'utf8');
    for (let i = 0; i < INPUTS; i++) {
      const text = configText(next, keys);
      await writeFile(path, good + text);
      const what = `input ${i}: 101.conf + ${JSON.stringify(text)}`;
      const verb = ['start', 'set', 'status'][i % 3]!;
      const r = verb === 'set' ? await env.vzctl('set', '101', '--hostname', 'fuzz', '--save') : await env.vzctl(verb, '101');
      if (r.code !== 0) {
        expectClearFailure(r, `${what} (${verb})`);
        expect(r.stderr.split('\n').find((l) => l.startsWith('vzctl: ')), what).toMatch(/^vzctl: CT 101/);
        if (verb === 'set') expect(await readFile(path, 'utf8'), `${what}: config changed`).toBe(good + text);
      }
      if (verb === 'start' && r.code === 0) expect((await env.vzctl('stop', '101', '--fast')).code, what).toBe(0);
      const list = await env.vzlist('-a', '-j');
      expect(list.code < 256 && list.code !== EXIT_CODES.SYSTEM, `${what}: vzlist exit ${list.code} ${list.stderr}`).toBe(true);
      expect(list.stderr, what).not.toMatch(/\n\s+at |TypeError|ReferenceError/);
    }
    await writeFile(path, good);
  }, 600_000);
});
