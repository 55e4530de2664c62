/**
 * A tar stream read as it passes, chunk by chunk, without buffering its data: enough to
 * hash every member, see where the archive ends, and refuse what a backup archive never
 * holds. GNU tar writes the archive's private area (POSIX pax format); this reader sees
 * it go by on its way to zstd, and again on its way from zstd to GNU tar at restore.
 *
 * It is strict where a lenient reader and GNU tar could disagree on where a member ends
 * (which would let a member pass unseen): header checksums are checked, only the member
 * types GNU tar writes in pax format are known, and types without data must say size 0.
 * Names are refused when absolute, when they climb (`..`), or when they lead through a
 * symbolic link of the archive; hard links must name a member before them.
 */

export type MemberType = 'file' | 'hardlink' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo';

/** One member as its headers describe it. */
export interface TarMember {
  /** The path, without `./` in front or `/` behind (`private/fs/etc/hosts`). */
  name: string;
  type: MemberType;
  /** Bytes of data stored for it (for a sparse file, its map and data as stored). */
  size: number;
  /** Target of a link. */
  linkname?: string;
  mode: number;
  uid: number;
  gid: number;
}

/** What the stream says is wrong: the archive is damaged (or not one this reader takes). */
export class TarDamage extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
    this.name = 'TarDamage';
  }
}

export interface TarListener {
  /** A member begins: called before its headers' bytes are passed to `raw`. */
  member?(m: TarMember): void;
  /** Bytes of the current member's data, in order. */
  data?(chunk: Uint8Array): void;
  /** The current member's data (and padding) went by. */
  memberEnd?(m: TarMember): void;
  /** Every byte of the archive before its end marker, in order (headers, data, padding). */
  raw?(chunk: Uint8Array): void;
}

export const BLOCK = 512;
/** Extension headers (pax records, GNU long names) larger than this are refused. */
const MAX_EXTENSION = 1 << 20;

const TYPES: Readonly<Record<string, MemberType>> = {
  '0': 'file', '\0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink', '3': 'char', '4': 'block', '5': 'dir', '6': 'fifo',
};

const decoder = new TextDecoder('utf-8', { fatal: false });

function text(b: Uint8Array, from: number, len: number): string {
  const field = b.subarray(from, from + len);
  const nul = field.indexOf(0);
  return decoder.decode(nul < 0 ? field : field.subarray(0, nul));
}

/** A numeric field: octal digits (NUL or space ended), or GNU's base-256 when the high bit is set. */
function number(b: Uint8Array, from: number, len: number, what: string, at: number): number {
  const field = b.subarray(from, from + len);
  if (field[0]! & 0x80) {
    if (field[0]! & 0x40) throw new TarDamage(`negative ${what} in a header`, at);
    let v = field[0]! & 0x3f;
    for (let i = 1; i < field.length; i++) v = v * 256 + field[i]!;
    if (!Number.isSafeInteger(v)) throw new TarDamage(`${what} too large in a header`, at);
    return v;
  }
  const s = text(b, from, len).trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new TarDamage(`${what} '${s}' in a header is not a number`, at);
  return parseInt(s, 8);
}

function checksumOk(b: Uint8Array, at: number): boolean {
  const want = number(b, 148, 8, 'checksum', at);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const c = i >= 148 && i < 156 ? 0x20 : b[i]!;
    unsigned += c;
    signed += c > 127 ? c - 256 : c;
  }
  return want === unsigned || want === signed;
}

function isZero(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

/** pax records `LEN key=value\n`. */
function paxRecords(data: Uint8Array, at: number): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  while (i < data.length) {
    let sp = i;
    while (sp < data.length && data[sp] !== 0x20) sp++;
    const len = Number(decoder.decode(data.subarray(i, sp)));
    if (!Number.isInteger(len) || len <= sp - i + 1 || i + len > data.length || data[i + len - 1] !== 0x0a) {
      // GNU tar pads the last block with NULs.
      if (isZero(data.subarray(i))) break;
      throw new TarDamage('a pax header record is malformed', at);
    }
    const rec = decoder.decode(data.subarray(sp + 1, i + len - 1));
    const eq = rec.indexOf('=');
    if (eq <= 0) throw new TarDamage('a pax header record has no key', at);
    out.set(rec.slice(0, eq), rec.slice(eq + 1));
    i += len;
  }
  return out;
}

/** `./a/b/` → `a/b`; undefined when the name is unsafe (absolute, climbing, empty, NUL). */
export function normalName(name: string): string | undefined {
  if (name.startsWith('/') || name.includes('\0')) return undefined;
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length === 0 || parts.includes('..')) return undefined;
  return parts.join('/');
}

type Phase = 'header' | 'extension' | 'data' | 'padding' | 'end';

/** Reads a tar stream pushed in chunks of any size; see the file's comment. */
export class TarReader {
  private phase: Phase = 'header';
  private readonly block = new Uint8Array(BLOCK);
  private filled = 0;
  /** Bytes of the stream consumed so far (for messages). */
  offset = 0;
  private left = 0;
  private pad = 0;
  private current: TarMember | undefined;
  /** Extension headers and their data waiting for the header they describe. */
  private group: Uint8Array[] = [];
  private ext: { kind: string; chunks: Uint8Array[]; size: number } | undefined;
  private pax = new Map<string, string>();
  private longName: string | undefined;
  private longLink: string | undefined;
  private readonly symlinks = new Set<string>();
  private readonly seen = new Set<string>();
  /** Zero bytes read since the end marker began. */
  private zeros = 0;

  constructor(private readonly on: TarListener = {}) {}

  /** True once the end-of-archive marker was read. */
  get ended(): boolean {
    return this.phase === 'end';
  }

  push(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length) {
      switch (this.phase) {
        case 'end': {
          const rest = chunk.subarray(i);
          if (!isZero(rest)) throw new TarDamage('data after the end of the archive', this.offset + rest.findIndex((x) => x !== 0));
          this.offset += rest.length;
          this.zeros += rest.length;
          return;
        }
        case 'header': {
          const n = Math.min(BLOCK - this.filled, chunk.length - i);
          this.block.set(chunk.subarray(i, i + n), this.filled);
          this.filled += n;
          i += n;
          this.offset += n;
          if (this.filled === BLOCK) {
            this.filled = 0;
            this.header();
          }
          break;
        }
        case 'extension': {
          // Extension data is small (MAX_EXTENSION) and kept whole until its header comes.
          const n = Math.min(this.left + this.pad, chunk.length - i);
          i += n;
          this.offset += n;
          this.takeExtension(chunk.subarray(i - n, i));
          break;
        }
        case 'data': {
          const n = Math.min(this.left, chunk.length - i);
          const part = chunk.subarray(i, i + n);
          this.on.data?.(part);
          this.on.raw?.(part);
          this.left -= n;
          i += n;
          this.offset += n;
          if (this.left === 0) this.afterData();
          break;
        }
        case 'padding': {
          const n = Math.min(this.pad, chunk.length - i);
          this.on.raw?.(chunk.subarray(i, i + n));
          this.pad -= n;
          i += n;
          this.offset += n;
          if (this.pad === 0) this.finishMember();
          break;
        }
      }
    }
  }

  /** The stream is over: throws unless the end-of-archive marker (two zero blocks) came. */
  end(): void {
    if (this.phase !== 'end' || this.zeros < 2 * BLOCK) throw new TarDamage('the archive ends before its end marker (truncated)', this.offset);
  }

  private header(): void {
    const b = this.block;
    const at = this.offset - BLOCK;
    if (isZero(b)) {
      if (this.group.length) throw new TarDamage('the archive ends after an extension header', at);
      this.phase = 'end';
      this.zeros = BLOCK;
      return;
    }
    const magic = text(b, 257, 6);
    if (magic !== 'ustar' && magic !== 'ustar ') throw new TarDamage('a header without the ustar magic: not a tar archive, or damaged', at);
    if (!checksumOk(b, at)) throw new TarDamage('a header checksum does not match', at);
    const flag = String.fromCharCode(b[156]!);
    const size = number(b, 124, 12, 'size', at);
    const raw = b.slice();
    if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
      if (size > MAX_EXTENSION) throw new TarDamage(`an extension header of ${size} bytes`, at);
      this.group.push(raw);
      this.ext = { kind: flag, chunks: [], size };
      this.left = size;
      this.pad = (BLOCK - (size % BLOCK)) % BLOCK;
      if (size === 0) this.endExtension();
      else this.phase = 'extension';
      return;
    }
    const type = TYPES[flag];
    if (!type) throw new TarDamage(`a member of unknown type '${flag.replace(/[^ -~]/, '?')}'`, at);
    const paxSize = this.pax.get('size');
    const stored = paxSize !== undefined ? Number(paxSize) : size;
    if (!Number.isSafeInteger(stored) || stored < 0) throw new TarDamage('a pax size is not a number', at);
    if (type !== 'file' && stored !== 0) throw new TarDamage(`a ${type} member with ${stored} bytes of data`, at);
    const prefix = text(b, 345, 155);
    const headerName = prefix ? `${prefix}/${text(b, 0, 100)}` : text(b, 0, 100);
    const rawName = this.pax.get('GNU.sparse.name') ?? this.pax.get('path') ?? this.longName ?? headerName;
    const name = normalName(rawName);
    if (!name) throw new TarDamage(`a member named '${rawName}' (absolute or climbing out with ..)`, at);
    for (let slash = name.indexOf('/'); slash > 0; slash = name.indexOf('/', slash + 1)) {
      if (this.symlinks.has(name.slice(0, slash))) throw new TarDamage(`member '${name}' lies beneath the symbolic link '${name.slice(0, slash)}'`, at);
    }
    const m: TarMember = {
      name, type, size: stored,
      mode: number(b, 100, 8, 'mode', at),
      uid: this.pax.has('uid') ? Number(this.pax.get('uid')) : number(b, 108, 8, 'uid', at),
      gid: this.pax.has('gid') ? Number(this.pax.get('gid')) : number(b, 116, 8, 'gid', at),
    };
    if (type === 'hardlink' || type === 'symlink') {
      const target = this.pax.get('linkpath') ?? this.longLink ?? text(b, 157, 100);
      if (target === '') throw new TarDamage(`link '${name}' without a target`, at);
      m.linkname = target;
      if (type === 'hardlink') {
        const t = normalName(target);
        if (!t || !this.seen.has(t)) throw new TarDamage(`hard link '${name}' to '${target}', which is no member before it`, at);
        m.linkname = t;
      }
    }
    if (type === 'symlink') this.symlinks.add(name);
    else if (type !== 'dir') this.seen.add(name);
    this.pax = new Map();
    this.longName = undefined;
    this.longLink = undefined;
    this.current = m;
    this.on.member?.(m);
    for (const g of this.group) this.on.raw?.(g);
    this.group = [];
    this.on.raw?.(raw);
    this.left = stored;
    this.pad = (BLOCK - (stored % BLOCK)) % BLOCK;
    if (stored > 0) this.phase = 'data';
    else this.finishMember();
  }

  private takeExtension(part: Uint8Array): void {
    const ext = this.ext!;
    this.group.push(part.slice());
    const data = Math.min(this.left, part.length);
    if (data > 0) ext.chunks.push(part.subarray(0, data).slice());
    this.left -= data;
    const padded = part.length - data;
    this.pad -= padded;
    if (this.left === 0 && this.pad === 0) this.endExtension();
  }

  private endExtension(): void {
    const ext = this.ext!;
    this.ext = undefined;
    const data = Buffer.concat(ext.chunks);
    const at = this.offset;
    if (ext.kind === 'x') for (const [k, v] of paxRecords(data, at)) this.pax.set(k, v);
    else if (ext.kind === 'L') this.longName = text(data, 0, data.length);
    else if (ext.kind === 'K') this.longLink = text(data, 0, data.length);
    // 'g' (global pax records) says nothing this reader uses.
    this.phase = 'header';
  }

  private afterData(): void {
    if (this.pad > 0) this.phase = 'padding';
    else this.finishMember();
  }

  private finishMember(): void {
    const m = this.current!;
    this.current = undefined;
    this.phase = 'header';
    this.on.memberEnd?.(m);
  }
}

/** A header of a regular file vzkit writes into an archive itself (the config, the manifest). */
export function fileHeader(name: string, size: number, opts: { mode?: number; mtime?: number } = {}): Uint8Array {
  const b = new Uint8Array(BLOCK);
  const enc = new TextEncoder();
  const put = (s: string, at: number, len: number) => {
    const bytes = enc.encode(s);
    if (bytes.length > len) throw new Error(`tar header field too long: ${s}`);
    b.set(bytes, at);
  };
  const octal = (n: number, at: number, len: number) => put(`${n.toString(8).padStart(len - 1, '0')}\0`, at, len);
  put(name, 0, 100);
  octal(opts.mode ?? 0o600, 100, 8);
  octal(0, 108, 8);
  octal(0, 116, 8);
  octal(size, 124, 12);
  octal(opts.mtime ?? Math.floor(Date.now() / 1000), 136, 12);
  b[156] = 0x30;
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  put('root', 265, 32);
  put('root', 297, 32);
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const c of b) sum += c;
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  return b;
}

/** Zeros that bring `size` bytes of data to a whole block. */
export function padding(size: number): Uint8Array {
  return new Uint8Array((BLOCK - (size % BLOCK)) % BLOCK);
}

/** The end-of-archive marker: two zero blocks. */
export const END_OF_ARCHIVE = new Uint8Array(2 * BLOCK);
