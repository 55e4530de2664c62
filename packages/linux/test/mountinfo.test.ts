import { describe, expect, it } from 'vitest';
import { mountFlagBits, parseMountInfo, unescapeMountField } from '../src/mounts.js';

const SAMPLE = [
  '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro',
  '36 22 0:31 / /proc rw,nosuid,nodev,noexec,relatime shared:13 - proc proc rw',
  '112 22 8:1 /srv/a\\040b /mnt/with\\040space\\011tab ro,relatime master:1 - ext4 /dev/sda1 rw',
  '113 22 0:50 / /mnt/back\\134slash rw - tmpfs tmpfs\\040dev rw,size=1024k',
  'garbage line',
  '',
].join('\n');

describe('parseMountInfo', () => {
  const entries = parseMountInfo(SAMPLE);

  it('reads ids, target, fstype and source, skipping malformed lines', () => {
    expect(entries.map((e) => [e.id, e.parent, e.target, e.fstype, e.source])).toEqual([
      [22, 1, '/', 'ext4', '/dev/sda1'],
      [36, 22, '/proc', 'proc', 'proc'],
      [112, 22, '/mnt/with space\ttab', 'ext4', '/dev/sda1'],
      [113, 22, '/mnt/back\\slash', 'tmpfs', 'tmpfs dev'],
    ]);
  });

  it('decodes octal escapes in root and target', () => {
    expect(entries[2]!.root).toBe('/srv/a b');
  });

  it('keeps optional fields and merges per-mount with filesystem options', () => {
    expect(entries[2]!.propagation).toEqual(['master:1']);
    expect(entries[3]!.propagation).toEqual([]);
    expect(entries[0]!.options).toBe('rw,relatime,errors=remount-ro');
    expect(entries[2]!.options).toBe('ro,relatime');
    expect(entries[3]!.options).toBe('rw,size=1024k');
  });
});

describe('mount helpers', () => {
  it('unescapes only three-digit octal sequences', () => {
    expect(unescapeMountField('a\\040b\\012c\\x')).toBe('a b\nc\\x');
  });

  it('maps flag names to MS_* bits', () => {
    expect(mountFlagBits(['bind', 'rec'])).toBe(4096 | 16384);
    expect(mountFlagBits(['rdonly', 'nosuid', 'nodev', 'noexec'])).toBe(15);
    expect(mountFlagBits([])).toBe(0);
  });
});
