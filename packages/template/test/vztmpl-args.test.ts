import { describe, expect, it } from 'vitest';
import { compressionOf, humanSize, parseToolArgs, renderTemplateList, templateNameOf, type ArgsSpec } from '../src/index.js';

const CREATE: ArgsSpec = {
  flags: [{ name: 'mirror', value: true }, { name: 'no-cache' }, { name: 'quiet', short: 'q' }],
  positionals: ['NAME', 'FILE'],
  required: 1,
};

describe('vztmpl argument parsing', () => {
  it('takes long and short flags, values after a space or =, positionals by name, -- before a dashed one', () => {
    const a = parseToolArgs('vztmpl', 'create', ['-q', 'debian-12-x86_64', '--mirror', 'http://m/debian', '--no-cache'], CREATE);
    expect(a.flags).toEqual(new Map<string, string | true>([['quiet', true], ['mirror', 'http://m/debian'], ['no-cache', true]]));
    expect(a.args).toEqual(new Map([['NAME', 'debian-12-x86_64']]));
    expect(parseToolArgs('vztmpl', 'create', ['--mirror=http://x', 'n', 'f'], CREATE).args.get('FILE')).toBe('f');
    expect(parseToolArgs('vztmpl', 'create', ['--', '-odd-name'], CREATE).args.get('NAME')).toBe('-odd-name');
  });

  it('refuses what it does not know, with BAD_PARAM (exit 20) naming the command', () => {
    const cases: Array<[string[], string]> = [
      [['--force', 'x'], 'create: unknown option --force'],
      [['-x', 'x'], 'create: unknown option -x'],
      [['x', '--mirror'], 'create: --mirror needs a value'],
      [['x', '--no-cache=yes'], 'create: --no-cache takes no value'],
      [['x', '-q', '--quiet'], 'create: --quiet given twice'],
      [[], 'create: NAME missing'],
      [['a', 'b', 'c'], "create: unexpected argument 'c'"],
    ];
    for (const [argv, message] of cases) {
      expect(() => parseToolArgs('vztmpl', 'create', argv, CREATE), argv.join(' ')).toThrow(expect.objectContaining({
        code: 'BAD_PARAM', exit: 20, message, hint: "see 'vztmpl create --help'",
      }));
    }
  });
});

describe('tarball names', () => {
  it('say the compression and the template name', () => {
    expect(compressionOf('/x/debian-12-x86_64.tar.zst')).toBe('zstd');
    expect(compressionOf('a.tgz')).toBe('gzip');
    expect(compressionOf('a.tar.xz')).toBe('xz');
    expect(compressionOf('a.tar')).toBe('none');
    expect(compressionOf('a.zip')).toBeUndefined();
    expect(templateNameOf('/srv/debian-12.0-x86_64.tar.gz')).toBe('debian-12.0-x86_64');
    expect(templateNameOf('/srv/centos.tzst')).toBe('centos');
    expect(templateNameOf('/srv/.tar.gz')).toBeUndefined();
    expect(templateNameOf('/srv/image.img')).toBeUndefined();
  });
});

describe('vztmpl list table', () => {
  it('aligns the columns, sizes as du -h, times in UTC to the minute', () => {
    expect([0, 1023, 1024, 1536, 10 * 1024, 154_668_674, 3 * 1024 ** 3].map(humanSize)).toEqual(['0', '1023', '1.0K', '1.5K', '10K', '148M', '3.0G']);
    expect(renderTemplateList([
      { name: 'busybox', path: '/t/busybox', created: '2025-12-01T16:20:05.123Z', size: 1_990_000, source: 'busybox:/bin/busybox', status: 'ready' },
      { name: 'debian-12-x86_64', path: undefined, created: undefined, size: undefined, source: undefined, status: 'buildable' },
    ])).toEqual([
      'NAME              SIZE  CREATED           SOURCE',
      'busybox           1.9M  2025-12-01 16:20  busybox:/bin/busybox',
      'debian-12-x86_64     -  -                 (built on first use)',
    ]);
  });
});
