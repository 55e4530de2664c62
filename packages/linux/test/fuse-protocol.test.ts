import { describe, expect, it } from 'vitest';
import {
  DT_DIR, DT_REG, GETATTR_FH, INIT, MINOR, NOTIFY_STORE, OP, decodeForgets, decodeGetattr, decodeInit, decodeName, decodeRead, decodeRelease, decodeRequest,
  encodeAttr, encodeDirents, encodeEntry, encodeInit, encodeNotifyStore, encodeReply, negotiate,
} from '../src/fuse-protocol.js';
import { buildTree } from '../src/fuse.js';

function request(opcode: number, body: Buffer, extlen = 0): Buffer {
  const b = Buffer.alloc(40 + body.length);
  b.writeUInt32LE(b.length, 0);
  b.writeUInt32LE(opcode, 4);
  b.writeBigUInt64LE(77n, 8);
  b.writeBigUInt64LE(1n, 16);
  b.writeUInt32LE(100000, 24);
  b.writeUInt32LE(100000, 28);
  b.writeUInt32LE(4242, 32);
  b.writeUInt16LE(extlen, 36);
  body.copy(b, 40);
  return b;
}

describe('FUSE requests', () => {
  it("decodes the header (caller's pid, uid, gid) and the body, leaving out extensions", () => {
    const r = decodeRequest(Buffer.concat([request(OP.LOOKUP, Buffer.from('meminfo\0')), Buffer.alloc(16)]).subarray(0, 48));
    expect(r).toMatchObject({ opcode: OP.LOOKUP, unique: 77n, nodeid: 1n, uid: 100000, gid: 100000, pid: 4242 });
    expect(decodeName(r.body)).toBe('meminfo');
    const ext = Buffer.concat([Buffer.from('vz\0\0\0\0\0\0'), Buffer.alloc(8, 0xff)]);
    const withExt = decodeRequest(request(OP.LOOKUP, ext, 1));
    expect(withExt.body).toHaveLength(8);
    expect(() => decodeRequest(Buffer.alloc(10))).toThrow(/short/);
  });

  it('reads INIT flags2 only when the kernel says they are there', () => {
    const body = Buffer.alloc(64);
    body.writeUInt32LE(7, 0);
    body.writeUInt32LE(45, 4);
    body.writeUInt32LE(131072, 8);
    body.writeUInt32LE(INIT.INIT_EXT | INIT.PARALLEL_DIROPS, 12);
    body.writeUInt32LE(INIT.REQUEST_TIMEOUT_FLAGS2, 16);
    const init = decodeInit(body);
    expect(init.flags & (BigInt(INIT.REQUEST_TIMEOUT_FLAGS2) << 32n)).not.toBe(0n);
    const out = negotiate(init, 30);
    expect(out.minor).toBe(MINOR);
    const reply = encodeInit(out);
    expect(reply).toHaveLength(64);
    expect(reply.readUInt32LE(0)).toBe(7);
    expect(reply.readUInt32LE(12) & INIT.INIT_EXT).toBe(INIT.INIT_EXT);
    expect(reply.readUInt32LE(32)).toBe(INIT.REQUEST_TIMEOUT_FLAGS2);
    expect(reply.readUInt16LE(40)).toBe(30);
    // An older kernel: its minor version, no timeout asked for.
    body.writeUInt32LE(31, 4);
    body.writeUInt32LE(INIT.PARALLEL_DIROPS, 12);
    const old = negotiate(decodeInit(body), 30);
    expect(old.minor).toBe(31);
    expect(old.flags).toBe(BigInt(INIT.PARALLEL_DIROPS));
  });

  it('decodes the lookups a FORGET and a BATCH_FORGET let go of', () => {
    const one = Buffer.alloc(8);
    one.writeBigUInt64LE(3n, 0);
    expect(decodeForgets(decodeRequest(request(OP.FORGET, one)))).toEqual([{ nodeid: 1n, nlookup: 3n }]);
    const batch = Buffer.alloc(8 + 32);
    batch.writeUInt32LE(2, 0);
    batch.writeBigUInt64LE(9n, 8);
    batch.writeBigUInt64LE(1n, 16);
    batch.writeBigUInt64LE(10n, 24);
    batch.writeBigUInt64LE(2n, 32);
    expect(decodeForgets(decodeRequest(request(OP.BATCH_FORGET, batch)))).toEqual([{ nodeid: 9n, nlookup: 1n }, { nodeid: 10n, nlookup: 2n }]);
  });

  it('decodes READ', () => {
    const body = Buffer.alloc(40);
    body.writeBigUInt64LE(5n, 0);
    body.writeBigUInt64LE(4096n, 8);
    body.writeUInt32LE(131072, 16);
    expect(decodeRead(body)).toEqual({ fh: 5n, offset: 4096n, size: 131072 });
  });

  it('decodes the handle of a GETATTR only when its flags say it is there, and of a RELEASE', () => {
    const body = Buffer.alloc(16);
    body.writeBigUInt64LE(9n, 8);
    expect(decodeGetattr(body)).toEqual({ fh: undefined });
    body.writeUInt32LE(GETATTR_FH, 0);
    expect(decodeGetattr(body)).toEqual({ fh: 9n });
    expect(decodeGetattr(Buffer.alloc(0))).toEqual({ fh: undefined });
    expect(decodeRelease(body.subarray(8))).toEqual({ fh: 9n });
  });
});

describe('FUSE replies', () => {
  it('encodes a FUSE_NOTIFY_STORE: unique 0, the code where a reply has its error, then node, offset, size and data', () => {
    const m = encodeNotifyStore(12n, 4095n, Buffer.from('\n'));
    expect(m.length).toBe(16 + 24 + 1);
    expect([m.readUInt32LE(0), m.readInt32LE(4), m.readBigUInt64LE(8)]).toEqual([41, NOTIFY_STORE, 0n]);
    expect([m.readBigUInt64LE(16), m.readBigUInt64LE(24), m.readUInt32LE(32), m.subarray(40).toString()]).toEqual([12n, 4095n, 1, '\n']);
  });

  it('puts the length, the negated errno and the unique id in the header; errors carry no body', () => {
    const ok = encodeReply(9n, Buffer.from('abc'));
    expect([ok.readUInt32LE(0), ok.readInt32LE(4), ok.readBigUInt64LE(8), ok.subarray(16).toString()]).toEqual([19, 0, 9n, 'abc']);
    const err = encodeReply(9n, Buffer.from('abc'), 13);
    expect([err.length, err.readInt32LE(4)]).toEqual([16, -13]);
  });

  it('encodes entries and attributes as struct fuse_entry_out / fuse_attr_out', () => {
    const attr = { ino: 3n, mode: 0o100444, nlink: 1, size: 0, time: 1700000000 };
    const e = encodeEntry(3n, attr, 0, 60);
    expect(e).toHaveLength(128);
    expect([e.readBigUInt64LE(0), e.readBigUInt64LE(16), e.readBigUInt64LE(24), e.readBigUInt64LE(40), e.readUInt32LE(40 + 60), e.readUInt32LE(40 + 64)]).toEqual([3n, 0n, 60n, 3n, 0o100444, 1]);
    const a = encodeAttr(attr, 60);
    expect(a).toHaveLength(104);
    expect(a.readUInt32LE(16 + 60)).toBe(0o100444);
  });

  it('lists directory entries from an offset, as many as fit, each padded to 8 bytes', () => {
    const list = [{ ino: 1n, name: '.', type: DT_DIR }, { ino: 1n, name: '..', type: DT_DIR }, { ino: 2n, name: 'meminfo', type: DT_REG }];
    const all = encodeDirents(list, 0, 4096);
    expect(all).toHaveLength(32 + 32 + 32);
    expect(all.readBigUInt64LE(64 + 8)).toBe(3n);
    expect(all.toString('utf8', 64 + 24, 64 + 31)).toBe('meminfo');
    expect(encodeDirents(list, 2, 4096)).toHaveLength(32);
    expect(encodeDirents(list, 0, 40)).toHaveLength(32);
    expect(encodeDirents(list, 3, 4096)).toHaveLength(0);
  });
});

describe('the served tree', () => {
  it('puts every entry under its directory and refuses one whose directory is missing', () => {
    const tree = buildTree([{ path: 'vz', type: 'dir', mode: 0o555 }, { path: 'vz/veinfo', type: 'file', mode: 0o444 }, { path: 'meminfo', type: 'file', mode: 0o444 }]);
    const root = tree.get(1n)!;
    expect([...root.children.keys()].sort()).toEqual(['meminfo', 'vz']);
    const vz = tree.get(root.children.get('vz')!)!;
    expect(tree.get(vz.children.get('veinfo')!)).toMatchObject({ path: 'vz/veinfo', type: 'file', mode: 0o444 });
    expect(() => buildTree([{ path: 'vz/veinfo', type: 'file', mode: 0o444 }])).toThrow(/its directory is not an entry/);
  });
});
