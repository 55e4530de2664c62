/** Request bodies become the verb's own command-line flags, so vzctl's checks apply. */
import { describe, expect, it } from 'vitest';
import type { FlagSpec } from '@vzkit/cli';
import { argvFromBody, initEnd, describeEnd, statusOf, tokenMatches } from '../src/index.js';

const flags: FlagSpec[] = [
  { name: 'hostname', arg: 'NAME', description: '' },
  { name: 'ipadd', arg: 'IP', description: '', repeatable: true },
  { name: 'save', description: '' },
  { name: 'skip-umount', description: '' },
  { name: 'onboot', arg: 'yes|no', description: '' },
  { name: 'applyconfig_map', arg: 'name', description: '' },
];

describe('argvFromBody', () => {
  it('turns keys into --flag=value, arrays into repeats, true into a switch', () => {
    expect(argvFromBody({ hostname: 'web1', ipadd: ['198.18.0.1', '198.18.0.2'], save: true, onboot: true, skip_umount: true, applyconfig_map: 'name' }, flags))
      .toEqual(['--hostname=web1', '--ipadd=198.18.0.1', '--ipadd=198.18.0.2', '--save', '--onboot=yes', '--skip-umount', '--applyconfig_map=name']);
  });

  it('passes a value that looks like a flag as a value', () => {
    expect(argvFromBody({ hostname: '--root=/' }, flags)).toEqual(['--hostname=--root=/']);
  });

  it('leaves out false and null, skips ctid, stdin and wait', () => {
    expect(argvFromBody({ save: false, hostname: null, ctid: 101, stdin: 'x', wait: true }, flags)).toEqual([]);
  });

  it('refuses unknown keys, several values for a single flag, values for a switch, objects', () => {
    expect(() => argvFromBody({ root: '/' }, flags)).toThrow(/unknown parameter 'root'/);
    expect(() => argvFromBody({ hostname: ['a', 'b'] }, flags)).toThrow(/takes one value/);
    expect(() => argvFromBody({ save: 'yes' }, flags)).toThrow(/is a switch/);
    expect(() => argvFromBody({ hostname: { a: 1 } }, flags)).toThrow(/invalid value for --hostname/);
  });
});

describe('how an init ended (its wait status)', () => {
  it('tells reboot (SIGHUP) and halt (SIGINT) from an exit and other signals', () => {
    expect(initEnd(1)).toEqual({ kind: 'reboot' });
    expect(initEnd(2)).toEqual({ kind: 'halt' });
    expect(initEnd(9)).toEqual({ kind: 'signal', signal: 9 });
    expect(initEnd(0x89)).toEqual({ kind: 'signal', signal: 9 });
    expect(initEnd(7 << 8)).toEqual({ kind: 'exit', code: 7 });
    expect(describeEnd(initEnd(9))).toBe('signal SIGKILL');
    expect(describeEnd(initEnd(0))).toBe('exit 0');
  });
});

describe('errors and tokens', () => {
  it('chooses the HTTP status from the code', () => {
    expect(statusOf('VE_NOT_FOUND')).toBe(404);
    expect(statusOf('LOCKED')).toBe(409);
    expect(statusOf('BAD_VALUE')).toBe(400);
    expect(statusOf('BAD_HOSTNAME')).toBe(400);
    expect(statusOf('QUOTA_NOT_FOUND')).toBe(404);
    expect(statusOf('UNSUPPORTED')).toBe(501);
    expect(statusOf('SYSTEM')).toBe(500);
  });

  it('compares tokens whatever their length', () => {
    expect(tokenMatches('s3cret-token-0123', 's3cret-token-0123')).toBe(true);
    expect(tokenMatches('s3cret', 's3cret-token-0123')).toBe(false);
    expect(tokenMatches(undefined, 's3cret-token-0123')).toBe(false);
  });
});
