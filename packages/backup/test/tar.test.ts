/**
 * The tar stream reader: what it sees of each member in chunks of any size, and every
 * way it refuses a stream (damaged headers, names that climb out or pass through links,
 * sizes that disagree with the type, bytes after the end, a stream cut short).
 */
import { describe, expect, it } from 'vitest';
import { normalName, TarDamage, TarReader, type TarMember } from '../src/index.js';
import { tarBytes, type Entry } from './tar-bytes.js';

/** Feeds `bytes` in chunks of `step` and collects what the reader saw. */
function read(bytes: Uint8Array, step = bytes.length) {
  const members: Array<TarMember & { data: string }> = [];
  let raw = 0;
  let cur: (TarMember & { data: string }) | undefined;
  const r = new TarReader({
    member: (m) => {
      cur = { ...m, data: '' };
      members.push(cur);
    },
    data: (c) => void (cur!.data += Buffer.from(c).toString('utf8')),
    raw: (c) => void (raw += c.length),
  });
  for (let i = 0; i < bytes.length; i += step) r.push(bytes.subarray(i, i + step));
  r.end();
  return { members, raw };
}

function refusal(entries: Entry[] | Uint8Array, opts: { end?: boolean } = {}): string {
  const bytes = entries instanceof Uint8Array ? entries : tarBytes(entries, opts);
  try {
    read(bytes, 7);
  } catch (e) {
    expect(e).toBeInstanceOf(TarDamage);
    return (e as Error).message;
  }
  throw new Error('the stream was accepted');
}

const tree: Entry[] = [
  { name: 'private/fs/', type: '5', mode: 0o755, uid: 100000, gid: 100000 },
  { name: 'private/fs/etc/hosts', data: '127.0.0.1 localhost\n', uid: 100000 },
  { name: 'private/fs/etc/link', type: '2', link: '/etc/hosts' },
  { name: 'private/fs/etc/hard', type: '1', link: 'private/fs/etc/hosts' },
  { name: 'private/fs/wh', type: '3' },
  { name: 'x', pax: { path: `private/fs/${'long/'.repeat(40)}name`, uid: '4294901760' }, data: 'deep' },
];

describe('TarReader', () => {
  it('sees every member, its data and every byte before the end, whatever the chunk size', async () => {
    const bytes = tarBytes(tree);
    for (const step of [1, 7, 511, 512, 513, 4096, bytes.length]) {
      const { members, raw } = read(bytes, step);
      expect(members.map((m) => [m.name, m.type, m.data])).toEqual([
        ['private/fs', 'dir', ''],
        ['private/fs/etc/hosts', 'file', '127.0.0.1 localhost\n'],
        ['private/fs/etc/link', 'symlink', ''],
        ['private/fs/etc/hard', 'hardlink', ''],
        ['private/fs/wh', 'char', ''],
        [`private/fs/${'long/'.repeat(40)}name`, 'file', 'deep'],
      ]);
      expect(members[0]).toMatchObject({ mode: 0o755, uid: 100000, gid: 100000 });
      expect(members[5]!.uid).toBe(4294901760);
      expect(members[3]!.linkname).toBe('private/fs/etc/hosts');
      // Everything but the two end blocks.
      expect(raw).toBe(bytes.length - 1024);
    }
  });

  it('takes zeros after the end marker (tar pads to its record size), nothing else', () => {
    expect(() => read(Buffer.concat([tarBytes(tree), new Uint8Array(9216)]))).not.toThrow();
    expect(refusal(Buffer.concat([tarBytes(tree), new Uint8Array([0, 0, 1])]))).toMatch(/data after the end of the archive/);
  });

  it('refuses a stream cut short, anywhere', () => {
    const bytes = tarBytes(tree);
    for (const cut of [0, 100, 512, 700, bytes.length - 1024, bytes.length - 1]) {
      const r = new TarReader();
      r.push(bytes.subarray(0, cut));
      expect(() => r.end(), `cut at ${cut}`).toThrow(/truncated|ends/);
    }
  });

  it('refuses damaged headers: checksum, magic, numbers, unknown types', () => {
    expect(refusal([{ name: 'a', data: 'x', badChecksum: true }])).toMatch(/checksum does not match/);
    expect(refusal([{ name: 'a', data: 'x', magic: 'uNtar\0' }])).toMatch(/without the ustar magic/);
    expect(refusal([{ name: 'a', type: 'S', data: 'x' }])).toMatch(/unknown type 'S'/);
    expect(refusal([{ name: 'a', type: 'V' }])).toMatch(/unknown type/);
  });

  it('refuses a member without data that says it has some (where readers would disagree on its end)', () => {
    expect(refusal([{ name: 'd/', type: '5', size: 512, data: new Uint8Array(512) }])).toMatch(/dir member with 512 bytes/);
    expect(refusal([{ name: 'l', type: '2', link: 't', size: 10, data: 'aaaaaaaaaa' }])).toMatch(/symlink member with 10 bytes/);
  });

  it('refuses names that are absolute, climb out, or lead through a link of the archive', () => {
    expect(refusal([{ name: '/etc/passwd', data: 'x' }])).toMatch(/absolute or climbing/);
    expect(refusal([{ name: 'private/fs/../../etc/passwd', data: 'x' }])).toMatch(/absolute or climbing/);
    expect(refusal([{ name: 'x', pax: { path: '../x' }, data: 'x' }])).toMatch(/absolute or climbing/);
    expect(refusal([
      { name: 'private/fs/etc', type: '2', link: '/etc' },
      { name: 'private/fs/etc/passwd', data: 'root::0:0::/:/bin/sh\n' },
    ])).toMatch(/beneath the symbolic link 'private\/fs\/etc'/);
  });

  it('refuses a hard link to anything but a member before it', () => {
    expect(refusal([{ name: 'private/fs/h', type: '1', link: '/etc/shadow' }])).toMatch(/no member before it/);
    expect(refusal([{ name: 'private/fs/h', type: '1', link: 'private/fs/later' }, { name: 'private/fs/later', data: 'x' }])).toMatch(/no member before it/);
  });

  it('normalName: ./ and trailing slashes go; absolute, .. and empty are refused', () => {
    expect(normalName('./a/b/')).toBe('a/b');
    expect(normalName('a//./b')).toBe('a/b');
    expect([normalName('/a'), normalName('a/../b'), normalName('./'), normalName('a\0b')]).toEqual([undefined, undefined, undefined, undefined]);
  });
});
