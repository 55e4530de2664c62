import { describe, expect, it } from 'vitest';
import { ConfigFile, ConfigParseError } from '../src/config-file.js';

describe('ConfigFile', () => {
  const text = [
    '# Global comment',
    'HOSTNAME="ve101.example"',
    '',
    '# Resources',
    'NUMPROC="240:240"',
    "NAME='web'",
    'ONBOOT=yes',
    'IP_ADDRESS="198.18.0.1 198.18.0.2"',
  ].join('\n') + '\n';

  it('reads quoted, single-quoted and bare values', () => {
    const f = ConfigFile.parse(text);
    expect(f.get('HOSTNAME')).toBe('ve101.example');
    expect(f.get('NAME')).toBe('web');
    expect(f.get('ONBOOT')).toBe('yes');
    expect(f.get('IP_ADDRESS')).toBe('198.18.0.1 198.18.0.2');
    expect(f.get('MISSING')).toBeUndefined();
  });

  it('edits a key in place and keeps comments and order', () => {
    const f = ConfigFile.parse(text);
    f.set('HOSTNAME', 'x');
    f.set('CPUUNITS', '1000');
    const out = f.toString().split('\n');
    expect(out[0]).toBe('# Global comment');
    expect(out[1]).toBe('HOSTNAME="x"');
    expect(out[3]).toBe('# Resources');
    expect(out[out.length - 2]).toBe('CPUUNITS="1000"');
    expect(ConfigFile.parse(f.toString()).get('HOSTNAME')).toBe('x');
  });

  it('the last assignment wins and removal drops every line of a key', () => {
    const f = ConfigFile.parse('A="1"\nB="2"\nA="3"\n');
    expect(f.get('A')).toBe('3');
    f.set('A', undefined);
    expect(f.toString()).toBe('B="2"\n');
  });

  it('escapes what the shell would expand', () => {
    const f = ConfigFile.empty();
    f.set('DESCRIPTION', 'costs $5 "now"');
    expect(f.toString()).toBe('DESCRIPTION="costs \\$5 \\"now\\""\n');
    expect(ConfigFile.parse(f.toString()).get('DESCRIPTION')).toBe('costs $5 "now"');
  });

  it.each([
    ['garbage line', 'this is not config\n', 1],
    ['unterminated quote', 'A="1\n', 1],
    ['space in a bare value', 'OK="1"\nA=1 2\n', 2],
  ])('refuses a %s with its line number', (_, bad, line) => {
    let err: unknown;
    try {
      ConfigFile.parse(bad);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigParseError);
    expect((err as ConfigParseError).line).toBe(line);
  });
});
