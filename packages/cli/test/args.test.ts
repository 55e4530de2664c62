import { describe, expect, it } from 'vitest';
import { isVzError } from '@vzkit/core';
import { parseArgs, type FlagSpec } from '../src/args.js';

const specs: FlagSpec[] = [
  { name: 'save', description: '' },
  { name: 'hostname', arg: 'NAME', description: '' },
  { name: 'ipadd', arg: 'IP', repeatable: true, description: '' },
  { name: 'all', short: 'a', description: '' },
  { name: 'no-header', short: 'H', description: '' },
  { name: 'output', short: 'o', arg: 'LIST', description: '' },
  { name: 'ids', short: '1', description: '' },
];

function failure(argv: string[], opts = {}): { code: string; exit: number; message: string } {
  try {
    parseArgs(argv, specs, { command: 'vzctl set', ...opts });
  } catch (e) {
    if (isVzError(e)) return { code: e.code, exit: e.exit, message: e.message };
    throw e;
  }
  throw new Error('no failure');
}

describe('parseArgs', () => {
  it('reads long flags with separate or attached arguments, in order', () => {
    const p = parseArgs(['101', '--hostname', 'a', '--ipadd=1.2.3.4', '--save', '--ipadd', '5.6.7.8'], specs, { command: 'x' });
    expect(p.positionals).toEqual(['101']);
    expect(p.flags).toEqual([
      { name: 'hostname', value: 'a' },
      { name: 'ipadd', value: '1.2.3.4' },
      { name: 'save', value: '' },
      { name: 'ipadd', value: '5.6.7.8' },
    ]);
  });

  it('takes an argument that starts with a dash as the argument', () => {
    expect(parseArgs(['--hostname', '-x'], specs, { command: 'x' }).flags).toEqual([{ name: 'hostname', value: '-x' }]);
  });

  it('combines short switches and reads -oVALUE, -o VALUE and -1', () => {
    expect(parseArgs(['-aH', '-octid,status'], specs, { command: 'x' }).flags.map((f) => [f.name, f.value])).toEqual([
      ['all', ''], ['no-header', ''], ['output', 'ctid,status'],
    ]);
    expect(parseArgs(['-o', 'ctid', '-1'], specs, { command: 'x' }).flags.map((f) => f.name)).toEqual(['output', 'ids']);
  });

  it('stops after N positionals and leaves the rest untouched (exec)', () => {
    const p = parseArgs(['101', 'ps', '-ef', '--save'], specs, { command: 'x', stopAfter: 1 });
    expect(p.positionals).toEqual(['101']);
    expect(p.rest).toEqual(['ps', '-ef', '--save']);
  });

  it('treats everything after -- as arguments', () => {
    const p = parseArgs(['--save', '--', '--hostname', 'x'], specs, { command: 'x' });
    expect(p.positionals).toEqual(['--hostname', 'x']);
    expect(p.flags).toEqual([{ name: 'save', value: '' }]);
  });

  it('refuses unknown flags, missing arguments, repeats and stray values with BAD_PARAM naming the flag', () => {
    expect(failure(['--bogus'])).toMatchObject({ code: 'BAD_PARAM', exit: 20, message: expect.stringContaining('--bogus') });
    expect(failure(['-z'])).toMatchObject({ exit: 20, message: expect.stringContaining('-z') });
    expect(failure(['101', '--hostname'])).toMatchObject({ exit: 20, message: 'option --hostname needs an argument (NAME)' });
    expect(failure(['--hostname', 'a', '--hostname', 'b'])).toMatchObject({ exit: 20, message: expect.stringContaining('--hostname is given more than once') });
    expect(failure(['--save=yes'])).toMatchObject({ exit: 20, message: 'option --save takes no argument' });
  });
});
