/**
 * A small tar writer and reader of the tests' own, independent of src/tar.ts: the fake
 * GNU tar of backup.test.ts is made of them, and the reader's tests feed it their bytes.
 */

export interface Entry {
  name: string;
  /** ustar type flag: '0' file, '1' hard link, '2' symlink, '3' char, '5' dir, 'x' pax, 'L' GNU long name, ... */
  type?: string;
  data?: string | Uint8Array;
  link?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  /** The size field, when it must lie about the data. */
  size?: number;
  /** pax records: a pax header ('x') is written before the entry. */
  pax?: Record<string, string>;
  /** The magic field (default POSIX's `ustar\0`). */
  magic?: string;
  /** Spoil the header checksum. */
  badChecksum?: boolean;
}

const enc = new TextEncoder();

function bytesOf(d: string | Uint8Array | undefined): Uint8Array {
  return d === undefined ? new Uint8Array() : typeof d === 'string' ? enc.encode(d) : d;
}

function header(e: Entry, size: number): Uint8Array {
  const b = new Uint8Array(512);
  const put = (s: string, at: number) => b.set(enc.encode(s), at);
  const oct = (n: number, at: number, len: number) => put(`${n.toString(8).padStart(len - 1, '0')}\0`, at);
  put(e.name.slice(0, 100), 0);
  oct(e.mode ?? 0o644, 100, 8);
  oct(e.uid ?? 0, 108, 8);
  oct(e.gid ?? 0, 116, 8);
  oct(e.size ?? size, 124, 12);
  oct(0, 136, 12);
  b[156] = (e.type ?? '0').charCodeAt(0);
  if (e.link) put(e.link.slice(0, 100), 157);
  put(e.magic ?? 'ustar\0', 257);
  put('00', 263);
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const c of b) sum += c;
  if (e.badChecksum) sum += 1;
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return b;
}

function paxData(records: Record<string, string>): Uint8Array {
  let out = '';
  for (const [k, v] of Object.entries(records)) {
    const body = ` ${k}=${v}\n`;
    let len = body.length + 1;
    while (String(len).length + body.length !== len) len = String(len).length + body.length;
    out += `${len}${body}`;
  }
  return enc.encode(out);
}

function pad(n: number): Uint8Array {
  return new Uint8Array((512 - (n % 512)) % 512);
}

/** The bytes of one entry (with its pax header, if any). */
export function entryBytes(e: Entry): Uint8Array[] {
  const out: Uint8Array[] = [];
  if (e.pax) {
    const p = paxData(e.pax);
    out.push(header({ name: 'PaxHeaders/x', type: 'x' }, p.length), p, pad(p.length));
  }
  const data = bytesOf(e.data);
  out.push(header(e, data.length), data, pad(data.length));
  return out;
}

/** A whole archive; `end: false` leaves out the end-of-archive blocks. */
export function tarBytes(entries: readonly Entry[], opts: { end?: boolean } = {}): Uint8Array {
  const parts = entries.flatMap(entryBytes);
  if (opts.end !== false) parts.push(new Uint8Array(1024));
  return Buffer.concat(parts);
}

/** One entry as this reader sees it. */
export interface ReadEntry {
  name: string;
  type: string;
  data: Uint8Array;
  link: string;
  mode: number;
  uid: number;
  gid: number;
}

/** Reads ustar entries (pax `path` honoured) up to the end marker. */
export function readTar(b: Uint8Array): ReadEntry[] {
  const dec = new TextDecoder();
  const str = (at: number, len: number) => {
    const f = b.subarray(at, at + len);
    const z = f.indexOf(0);
    return dec.decode(z < 0 ? f : f.subarray(0, z));
  };
  const num = (at: number, len: number) => parseInt(str(at, len).trim() || '0', 8);
  const out: ReadEntry[] = [];
  let pax: Record<string, string> = {};
  for (let i = 0; i + 512 <= b.length;) {
    if (b.subarray(i, i + 512).every((x) => x === 0)) break;
    const type = String.fromCharCode(b[i + 156]!);
    const size = num(i + 124, 12);
    const data = b.subarray(i + 512, i + 512 + size);
    const prefix = str(i + 345, 155);
    const name = prefix ? `${prefix}/${str(i, 100)}` : str(i, 100);
    if (type === 'x') {
      for (const rec of dec.decode(data).split('\n').filter(Boolean)) {
        const kv = rec.slice(rec.indexOf(' ') + 1);
        pax[kv.slice(0, kv.indexOf('='))] = kv.slice(kv.indexOf('=') + 1);
      }
    } else {
      out.push({ name: pax.path ?? name, type, data, link: pax.linkpath ?? str(i + 157, 100), mode: num(i + 100, 8), uid: pax.uid ? Number(pax.uid) : num(i + 108, 8), gid: pax.gid ? Number(pax.gid) : num(i + 116, 8) });
      pax = {};
    }
    i += 512 + size + ((512 - (size % 512)) % 512);
  }
  return out;
}
