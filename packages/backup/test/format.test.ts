/**
 * The archive's layout and its manifest: what ArchiveWriter makes of a tar stream, and
 * every damage ArchiveChecker finds in what comes back — a file's bytes, a header's
 * owner, a missing or extra member, a manifest that lies, a stream cut short.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ArchiveChecker, ArchiveWriter, CONFIG_MEMBER, MANIFEST_MEMBER, parseManifest, type Manifest } from '../src/index.js';
import { Pipe } from '../src/pipe.js';
import { readTar, tarBytes, type Entry } from './tar-bytes.js';

const CONFIG = 'OSTEMPLATE="busybox"\nLOCAL_UID="100000"\n';
const META = { ctid: 101, created: '2026-01-01T00:00:00.000Z', mode: 'suspend' as const, state: 'running' as const, held: 'frozen' as const, ostemplate: 'busybox', ids: { uid: 100000, gid: 100000 } };

const files: Entry[] = [
  { name: 'private/fs/', type: '5', uid: 100000, gid: 100000 },
  { name: 'private/fs/etc/hostname', data: 'web1\n', uid: 100000, gid: 100000 },
  { name: 'private/fs/root/big', data: 'x'.repeat(5000), uid: 100000, gid: 100000 },
  { name: 'private/fs/etc/link', type: '2', link: 'hostname' },
];

/** An archive as vzdump writes it (uncompressed), from GNU tar's stream fed in odd chunks. */
async function archive(entries = files): Promise<{ bytes: Uint8Array; manifest: Manifest }> {
  const out: Uint8Array[] = [];
  const w = new ArchiveWriter(async (c) => void out.push(c.slice()));
  await w.begin(CONFIG);
  const gnu = Buffer.concat([tarBytes(entries), new Uint8Array(8192)]);
  for (let i = 0; i < gnu.length; i += 1000) await w.tar(gnu.subarray(i, i + 1000));
  const manifest = await w.finish(META);
  return { bytes: Buffer.concat(out), manifest };
}

function check(bytes: Uint8Array, step = 333) {
  const c = new ArchiveChecker();
  for (let i = 0; i < bytes.length; i += step) c.push(bytes.subarray(i, i + step));
  return c.result();
}

function refusal(bytes: Uint8Array): string {
  try {
    check(bytes);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('the archive was accepted');
}

/** The archive with one member's bytes changed by `change`, everything else as written. */
function spoil(bytes: Uint8Array, find: string, change: (b: Buffer, at: number) => void): Uint8Array {
  const b = Buffer.from(bytes);
  const at = b.indexOf(find);
  expect(at, `${find} in the archive`).toBeGreaterThanOrEqual(0);
  change(b, at);
  return b;
}

describe('ArchiveWriter', () => {
  it('writes the config first, tar\'s members, the manifest last, one end marker; sums of what went by', async () => {
    const { bytes, manifest } = await archive();
    expect(readTar(bytes).map((e) => e.name)).toEqual([CONFIG_MEMBER, 'private/fs/', 'private/fs/etc/hostname', 'private/fs/root/big', 'private/fs/etc/link', MANIFEST_MEMBER]);
    expect(manifest.files).toEqual([
      { path: CONFIG_MEMBER, bytes: CONFIG.length, sha256: createHash('sha256').update(CONFIG).digest('hex') },
      { path: 'private/fs/etc/hostname', bytes: 5, sha256: createHash('sha256').update('web1\n').digest('hex') },
      { path: 'private/fs/root/big', bytes: 5000, sha256: createHash('sha256').update('x'.repeat(5000)).digest('hex') },
    ]);
    const manifestAt = Buffer.from(bytes).indexOf(MANIFEST_MEMBER);
    expect(manifest.payload).toEqual({ bytes: manifestAt, sha256: createHash('sha256').update(bytes.subarray(0, manifestAt)).digest('hex') });
    expect(manifest).toMatchObject({ format: 'vzkit-backup/1', ...META });
    const written = readTar(bytes).at(-1)!;
    expect(JSON.parse(Buffer.from(written.data).toString())).toEqual(manifest);
  });

  it('refuses a tar stream with members outside private/fs', async () => {
    const w = new ArchiveWriter(async () => {});
    await w.begin(CONFIG);
    await expect(w.tar(tarBytes([{ name: 'etc/passwd', data: 'x' }]))).rejects.toThrow(/outside private\/fs/);
  });
});

describe('ArchiveChecker', () => {
  it('gives back the config and the manifest of a whole archive, in chunks of any size', async () => {
    const { bytes, manifest } = await archive();
    for (const step of [1, 511, 4096, bytes.length]) {
      expect(check(bytes, step)).toEqual({ config: CONFIG, manifest });
    }
  });

  it('names the file whose bytes changed', async () => {
    const { bytes } = await archive();
    expect(refusal(spoil(bytes, 'web1', (b, at) => void (b[at] = 0x57)))).toMatch(/^private\/fs\/etc\/hostname has sha256 \w+ \(5 bytes\), the manifest says/);
    expect(refusal(spoil(bytes, 'OSTEMPLATE', (b, at) => void (b[at] = 0x6f)))).toMatch(/^vzdump\/ve.conf has sha256/);
  });

  it('finds a changed header (an owner: in no file\'s sum) by the stream\'s sum', async () => {
    const { bytes } = await archive();
    // uid 100000 is 0303240 in octal; make one 0303241 and keep the header's checksum right.
    const b = Buffer.from(bytes);
    const at = b.indexOf('private/fs/root/big');
    const uid = b.indexOf('0303240', at);
    b[uid + 6] = 0x31;
    const sum = parseInt(b.subarray(at + 148, at + 154).toString(), 8) + 1;
    b.write(`${sum.toString(8).padStart(6, '0')}\0 `, at + 148);
    expect(refusal(b)).toMatch(/^its tar stream has sha256 \w+ over \d+ bytes, the manifest says/);
  });

  it('refuses a manifest that lists other files, or that is not one', async () => {
    const { bytes } = await archive();
    const fewer = await archive(files.slice(0, 2));
    // Take the short archive's stream with the long one's manifest.
    const cut = (x: Uint8Array) => Buffer.from(x).indexOf(MANIFEST_MEMBER);
    const mixed = Buffer.concat([fewer.bytes.subarray(0, cut(fewer.bytes)), bytes.subarray(cut(bytes))]);
    expect(refusal(mixed)).toMatch(/holds 2 files, the manifest lists 3/);
    expect(parseManifest('{"format":"other"}')).toMatch(/format is "other"/);
    expect(parseManifest('[')).toMatch(/not JSON/);
  });

  it('refuses what is not a vzkit backup: another first member, no manifest, a stranger among the members', async () => {
    expect(refusal(tarBytes([{ name: 'etc/passwd', data: 'x' }]))).toMatch(/first member is 'etc\/passwd', not vzdump\/ve.conf: not a vzkit backup/);
    expect(refusal(tarBytes([{ name: CONFIG_MEMBER, data: CONFIG }, { name: 'private/fs/a', data: 'x' }]))).toMatch(/has no vzdump\/manifest.json/);
    expect(refusal(tarBytes([{ name: CONFIG_MEMBER, data: CONFIG }, { name: 'home/x', data: 'x' }]))).toMatch(/neither the config, the VE's files nor the manifest/);
  });

  it('refuses a stream cut short or with anything after its end', async () => {
    const { bytes } = await archive();
    expect(refusal(bytes.subarray(0, bytes.length - 600))).toMatch(/truncated/);
    expect(refusal(bytes.subarray(0, Buffer.from(bytes).indexOf(MANIFEST_MEMBER) - 1))).toMatch(/truncated|no vzdump\/manifest.json/);
    expect(refusal(Buffer.concat([bytes, tarBytes([{ name: 'private/fs/late', data: 'x' }])]))).toMatch(/data after the end/);
  });
});

describe('Pipe', () => {
  it('hands chunks over in order and makes the writer wait while the reader is behind', async () => {
    const p = new Pipe(4);
    const got: number[] = [];
    let written = 0;
    const writer = (async () => {
      for (let i = 0; i < 10; i++) {
        await p.write(new Uint8Array([i, i]));
        written++;
      }
      p.end();
    })();
    await new Promise((r) => setTimeout(r, 5));
    expect(written).toBeLessThan(10);
    for await (const c of p) got.push(c[0]!);
    await writer;
    expect(got).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('a reader that stops makes the writer fail; a writer that fails ends the reader with its error', async () => {
    const p = new Pipe(1);
    const it = p[Symbol.asyncIterator]();
    await p.write(new Uint8Array([1]));
    await it.next();
    await it.return?.();
    await expect(p.write(new Uint8Array([2]))).rejects.toThrow(/reading end/);
    const q = new Pipe();
    q.fail(new Error('tar died'));
    await expect((async () => { for await (const _ of q) void _; })()).rejects.toThrow('tar died');
  });
});
