/**
 * The part of the FUSE protocol (linux/fuse.h, version 7) a read-only filesystem of
 * generated files needs: requests decoded from what a read of /dev/fuse returns, and
 * replies encoded for a write to it. Pure, so it is tested without a kernel.
 *
 * Every structure is little-endian on the machines vzkit runs on (x86-64, arm64) and
 * padded to 8 bytes, as the header defines it.
 */

/** Opcodes (enum fuse_opcode) this server tells apart; any other is answered ENOSYS. */
export const OP = {
  LOOKUP: 1,
  FORGET: 2,
  GETATTR: 3,
  OPEN: 14,
  READ: 15,
  STATFS: 17,
  RELEASE: 18,
  FLUSH: 25,
  INIT: 26,
  OPENDIR: 27,
  READDIR: 28,
  RELEASEDIR: 29,
  INTERRUPT: 36,
  DESTROY: 38,
  BATCH_FORGET: 42,
} as const;

/** INIT flags (flags, and flags2 shifted down 32 bits). */
export const INIT = {
  PARALLEL_DIROPS: 1 << 18,
  ABORT_ERROR: 1 << 21,
  /** flags2 is valid (7.36). */
  INIT_EXT: 1 << 30,
  /** In flags2: init_out.request_timeout holds seconds after which the kernel aborts (7.43, Linux 6.14). */
  REQUEST_TIMEOUT_FLAGS2: 1 << (42 - 32),
} as const;

/** open_out.open_flags: bypass the page cache. */
export const FOPEN_DIRECT_IO = 1;
/** open_out.open_flags: keep the inode's pages at this open (its content never changes). */
export const FOPEN_KEEP_CACHE = 2;

/** getattr_in.getattr_flags: `fh` is valid. */
export const GETATTR_FH = 1;
/** enum fuse_notify_code: FUSE_NOTIFY_STORE. */
export const NOTIFY_STORE = 4;

/** The newest minor version whose structures this module writes (request_timeout came in 7.43). */
export const MINOR = 43;
/** The root's node id (FUSE_ROOT_ID). */
export const ROOT_ID = 1n;

const IN_HEADER = 40;
const OUT_HEADER = 16;
const ATTR = 88;

export interface Request {
  opcode: number;
  unique: bigint;
  nodeid: bigint;
  uid: number;
  gid: number;
  pid: number;
  /** The bytes after the header (and after any extension the header announces). */
  body: Buffer;
}

/** Decodes one request, copying what it keeps: the buffer is read into again. */
export function decodeRequest(buf: Buffer): Request {
  if (buf.length < IN_HEADER) throw new Error(`short FUSE request: ${buf.length} bytes`);
  const len = buf.readUInt32LE(0);
  if (len > buf.length || len < IN_HEADER) throw new Error(`FUSE request of ${len} bytes in a read of ${buf.length}`);
  return {
    opcode: buf.readUInt32LE(4),
    unique: buf.readBigUInt64LE(8),
    nodeid: buf.readBigUInt64LE(16),
    uid: buf.readUInt32LE(24),
    gid: buf.readUInt32LE(28),
    pid: buf.readUInt32LE(32),
    // total_extlen (7.38): extensions, in 8-byte units, follow the body; none is asked for.
    body: Buffer.from(buf.subarray(IN_HEADER, Math.max(IN_HEADER, len - buf.readUInt16LE(36) * 8))),
  };
}

export interface InitIn {
  major: number;
  minor: number;
  maxReadahead: number;
  /** flags | flags2 << 32, as a bigint (bits above 31 only when INIT_EXT is set). */
  flags: bigint;
}

export function decodeInit(body: Buffer): InitIn {
  const flags = BigInt(body.readUInt32LE(12));
  const ext = body.length >= 20 && (flags & BigInt(INIT.INIT_EXT)) !== 0n;
  return {
    major: body.readUInt32LE(0),
    minor: body.readUInt32LE(4),
    maxReadahead: body.readUInt32LE(8),
    flags: ext ? flags | (BigInt(body.readUInt32LE(16)) << 32n) : flags,
  };
}

/** The name a LOOKUP asks for (NUL-terminated). */
export function decodeName(body: Buffer): string {
  const end = body.indexOf(0);
  return body.toString('utf8', 0, end < 0 ? body.length : end);
}

/** fuse_open_in: the open(2) flags. */
export function decodeOpen(body: Buffer): { flags: number } {
  return { flags: body.readUInt32LE(0) };
}

/** fuse_read_in (also READDIR's): handle, offset, size. */
export function decodeRead(body: Buffer): { fh: bigint; offset: bigint; size: number } {
  return { fh: body.readBigUInt64LE(0), offset: body.readBigUInt64LE(8), size: body.readUInt32LE(16) };
}

/** The nodes a FORGET (the header's node) or BATCH_FORGET (a list) lets go of, and by how many lookups. */
export function decodeForgets(req: Request): Array<{ nodeid: bigint; nlookup: bigint }> {
  if (req.opcode === OP.FORGET) return req.body.length >= 8 ? [{ nodeid: req.nodeid, nlookup: req.body.readBigUInt64LE(0) }] : [];
  const count = req.body.length >= 8 ? req.body.readUInt32LE(0) : 0;
  const out: Array<{ nodeid: bigint; nlookup: bigint }> = [];
  for (let i = 0; i < count && 8 + (i + 1) * 16 <= req.body.length; i++) {
    out.push({ nodeid: req.body.readBigUInt64LE(8 + i * 16), nlookup: req.body.readBigUInt64LE(16 + i * 16) });
  }
  return out;
}

/** fuse_getattr_in: the handle, when the kernel names one (FUSE_GETATTR_FH: an fstat or a read). */
export function decodeGetattr(body: Buffer): { fh: bigint | undefined } {
  if (body.length < 16) return { fh: undefined };
  return { fh: (body.readUInt32LE(0) & GETATTR_FH) !== 0 ? body.readBigUInt64LE(8) : undefined };
}

/** fuse_release_in: the handle. */
export function decodeRelease(body: Buffer): { fh: bigint } {
  return { fh: body.readBigUInt64LE(0) };
}

/** A reply: the out header and `body`; `errno` (positive) for an error, which carries no body. */
export function encodeReply(unique: bigint, body: Buffer | undefined, errno = 0): Buffer {
  const payload = errno ? Buffer.alloc(0) : (body ?? Buffer.alloc(0));
  const out = Buffer.alloc(OUT_HEADER + payload.length);
  out.writeUInt32LE(out.length, 0);
  out.writeInt32LE(-errno, 4);
  out.writeBigUInt64LE(unique, 8);
  payload.copy(out, OUT_HEADER);
  return out;
}

export interface InitOut {
  minor: number;
  maxReadahead: number;
  flags: bigint;
  maxWrite: number;
  /** Seconds; only read by the kernel when `flags` has the request-timeout bit. */
  requestTimeout: number;
}

/** fuse_init_out as of 7.43 (64 bytes): the kernel reads the fields its minor version has. */
export function encodeInit(o: InitOut): Buffer {
  const b = Buffer.alloc(64);
  b.writeUInt32LE(7, 0);
  b.writeUInt32LE(o.minor, 4);
  b.writeUInt32LE(o.maxReadahead, 8);
  b.writeUInt32LE(Number(o.flags & 0xffffffffn), 12);
  b.writeUInt16LE(16, 16); // max_background
  b.writeUInt16LE(12, 18); // congestion_threshold
  b.writeUInt32LE(o.maxWrite, 20);
  b.writeUInt32LE(1, 24); // time_gran: nanoseconds
  b.writeUInt32LE(Number(o.flags >> 32n), 32); // flags2
  b.writeUInt16LE(o.requestTimeout, 40);
  return b;
}

/**
 * What to answer an INIT with: the kernel's minor version or ours, whichever is older;
 * of the features it offers, parallel lookups, ECONNABORTED after an abort, and the
 * request timeout.
 */
export function negotiate(init: InitIn, timeoutSec: number): InitOut {
  const offered = init.flags;
  let flags = 0n;
  for (const f of [INIT.PARALLEL_DIROPS, INIT.ABORT_ERROR]) if (offered & BigInt(f)) flags |= BigInt(f);
  const timeout = BigInt(INIT.REQUEST_TIMEOUT_FLAGS2) << 32n;
  if (offered & BigInt(INIT.INIT_EXT) && offered & timeout) flags |= BigInt(INIT.INIT_EXT) | timeout;
  return { minor: Math.min(init.minor, MINOR), maxReadahead: init.maxReadahead, flags, maxWrite: 4096, requestTimeout: Math.min(timeoutSec, 0xffff) };
}

export interface Attr {
  ino: bigint;
  /** S_IFDIR or S_IFREG with the permission bits. */
  mode: number;
  nlink: number;
  size: number;
  /** Seconds since the epoch, for atime, mtime and ctime. */
  time: number;
}

function writeAttr(b: Buffer, at: number, a: Attr): void {
  b.writeBigUInt64LE(a.ino, at);
  b.writeBigUInt64LE(BigInt(a.size), at + 8);
  b.writeBigUInt64LE(0n, at + 16); // blocks
  for (let i = 0; i < 3; i++) b.writeBigUInt64LE(BigInt(Math.floor(a.time)), at + 24 + i * 8);
  b.writeUInt32LE(a.mode, at + 60);
  b.writeUInt32LE(a.nlink, at + 64);
  // uid, gid, rdev 0; blksize:
  b.writeUInt32LE(4096, at + 80);
}

/** fuse_entry_out: the node, its generation, how long the name and the attributes may be cached. */
export function encodeEntry(nodeid: bigint, attr: Attr, entrySec: number, attrSec = entrySec): Buffer {
  const b = Buffer.alloc(40 + ATTR);
  b.writeBigUInt64LE(nodeid, 0);
  b.writeBigUInt64LE(1n, 8);
  b.writeBigUInt64LE(BigInt(entrySec), 16);
  b.writeBigUInt64LE(BigInt(attrSec), 24);
  writeAttr(b, 40, attr);
  return b;
}

/** fuse_attr_out. */
export function encodeAttr(attr: Attr, validSec: number): Buffer {
  const b = Buffer.alloc(16 + ATTR);
  b.writeBigUInt64LE(BigInt(validSec), 0);
  writeAttr(b, 16, attr);
  return b;
}

/**
 * A FUSE_NOTIFY_STORE message (unsolicited: unique 0, the code in the error field):
 * `data` put into node `nodeid`'s page cache at `offset`, growing its size to the end
 * of it when the kernel's is smaller.
 */
export function encodeNotifyStore(nodeid: bigint, offset: bigint, data: Buffer): Buffer {
  const b = Buffer.alloc(OUT_HEADER + 24 + data.length);
  b.writeUInt32LE(b.length, 0);
  b.writeInt32LE(NOTIFY_STORE, 4);
  b.writeBigUInt64LE(0n, 8);
  b.writeBigUInt64LE(nodeid, OUT_HEADER);
  b.writeBigUInt64LE(offset, OUT_HEADER + 8);
  b.writeUInt32LE(data.length, OUT_HEADER + 16);
  data.copy(b, OUT_HEADER + 24);
  return b;
}

/** fuse_open_out. */
export function encodeOpen(fh: bigint, openFlags: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeBigUInt64LE(fh, 0);
  b.writeUInt32LE(openFlags, 8);
  return b;
}

/** fuse_statfs_out: an empty filesystem of 4 KiB blocks with names up to 255 bytes. */
export function encodeStatfs(): Buffer {
  const b = Buffer.alloc(80);
  b.writeUInt32LE(4096, 40); // bsize
  b.writeUInt32LE(255, 44); // namelen
  b.writeUInt32LE(4096, 48); // frsize
  return b;
}

export const DT_DIR = 4;
export const DT_REG = 8;

export interface Dirent {
  ino: bigint;
  name: string;
  type: number;
}

/**
 * fuse_dirent records from `offset` (an index into `entries`) on, as many as fit in
 * `size` bytes; each record's `off` is the index after it, where the next READDIR starts.
 */
export function encodeDirents(entries: readonly Dirent[], offset: number, size: number): Buffer {
  const parts: Buffer[] = [];
  let used = 0;
  for (let i = offset; i < entries.length; i++) {
    const e = entries[i]!;
    const name = Buffer.from(e.name);
    const len = (24 + name.length + 7) & ~7;
    if (used + len > size) break;
    const b = Buffer.alloc(len);
    b.writeBigUInt64LE(e.ino, 0);
    b.writeBigUInt64LE(BigInt(i + 1), 8);
    b.writeUInt32LE(name.length, 16);
    b.writeUInt32LE(e.type, 20);
    name.copy(b, 24);
    parts.push(b);
    used += len;
  }
  return Buffer.concat(parts);
}
