/**
 * Converting a stopped VE between kinds (`vzctl set --local_uid auto|N|0 --save`): the
 * VE's own files — the overlay's upper layer, VE_PRIVATE/fs — move from the ids of the
 * old mapping to those of the new (0-65535 for a VE of the host root). The shared
 * template is never touched: it is shown idmapped. The work directory is not walked:
 * overlayfs empties it at every mount.
 *
 * The record in ns-fs's state (from, to, and what the chowns will cost, read before the
 * first one) is the intent record: a conversion killed half-way is undone from it, one
 * that failed is undone at once, and nothing of a setuid bit or a file capability is lost
 * either way.
 */
import { dirname, resolve } from 'node:path';
import {
  ID_MAPPING, reverseShift, scanIds, shiftCaps, shiftIds, vzError,
  type ConfigView, type Conversion, type HookContext, type IdShift, type KeptAttrs, type Restore,
} from '@vzkit/core';
import { upperDir } from './private-area.js';

/** Host uid and gid of the VE's root under one mapping (0 and 0 for the host root's). */
export interface RootIds {
  uid: number;
  gid: number;
}

export interface ShiftRecord {
  from: RootIds;
  to: RootIds;
  /** Set once the tree was read (before anything changed). */
  kept?: KeptAttrs[];
}

/** The part of ns-fs's state a conversion uses. */
export interface ConvertState {
  shift?: ShiftRecord;
}

type Ctx = HookContext<ConvertState & Record<string, unknown>>;

/** Where the VE's root is on the host under `config` (0: the host's root), and how many ids the VE has. */
export function rootIds(ctx: HookContext<any>, config: ConfigView): RootIds & { count: number | undefined } {
  const map = ctx.optionalService(ID_MAPPING)?.of(config);
  return { uid: map?.uid ?? 0, gid: map?.gid ?? 0, count: map?.uidMap[0]?.count };
}

const same = (a: RootIds, b: RootIds) => a.uid === b.uid && a.gid === b.gid;
const shiftOf = (a: RootIds, b: RootIds, count: number): IdShift => ({ uid: { from: a.uid, to: b.uid }, gid: { from: a.gid, to: b.gid }, count });

/** `path`, or where the symlink at `path` points (VE_PRIVATE/fs is one to disk/fs when the VE has its own disk). */
export async function realDir(ctx: HookContext<any>, path: string): Promise<string> {
  if ((await ctx.host.fs.stat(path))?.type !== 'symlink') return path;
  return resolve(dirname(path), await ctx.host.fs.readlink(path));
}

async function setShift(ctx: Ctx, shift: ShiftRecord | undefined): Promise<void> {
  const { shift: _old, ...rest } = ctx.state.get() ?? {};
  await ctx.state.set(shift ? { ...rest, shift } : rest);
}

function restoreMap(kept: readonly KeptAttrs[], caps: (original: Uint8Array) => Uint8Array | undefined): Map<string, Restore> {
  return new Map(kept.map((k) => {
    const c = k.caps ? caps(new Uint8Array(Buffer.from(k.caps, 'base64'))) : undefined;
    return [k.path, { mode: k.mode, ...(c ? { caps: c } : {}) }];
  }));
}

function overlapping(a: number, b: number, count: number): boolean {
  return a !== b && Math.abs(a - b) < count;
}

/** The `convert` hook of ns-fs. */
export async function convertPrivateArea(ctx: Ctx, conv: Conversion): Promise<void> {
  const { ve, host } = ctx;
  const from = rootIds(ctx, conv.from);
  const to = rootIds(ctx, conv.to);
  // Both sides have the same number of ids; a VE of the host root has none of its own.
  const count = from.count ?? to.count ?? 0;
  const upper = await realDir(ctx, upperDir(ve.paths.private));
  const record = ctx.state.get()?.shift;
  if (conv.undo) {
    // Only a tree that was read can have been changed; the record knows its first side.
    if (record?.kept) {
      const back = reverseShift(shiftOf(record.from, record.to, count));
      const moved = await shiftIds(host, upper, back, restoreMap(record.kept, (c) => c));
      ctx.log.info(`${ve.label}: conversion undone: ${moved} files back to host ids ${record.from.uid}/${record.from.gid}`);
    }
    await setShift(ctx, undefined);
    return;
  }
  if (same(from, to)) return;
  const key = from.uid !== to.uid ? `LOCAL_UID=${to.uid}` : `LOCAL_GID=${to.gid}`;
  if (overlapping(from.uid, to.uid, count) || overlapping(from.gid, to.gid, count)) {
    throw vzError('BAD_VALUE', `${ve.label}: ${key}: the new range overlaps the one the VE's files are in now (host ids ${from.uid}/${from.gid}): their ids would be ambiguous`, {
      hint: 'choose a range at least 65536 ids away, or auto',
    });
  }
  if (!(await host.fs.exists(upper))) {
    throw vzError('PRIVATE_NOT_FOUND', `${ve.label}: private area ${ve.paths.private} has no fs/ directory`, { path: upper });
  }
  let rec = record && same(record.from, from) && same(record.to, to) ? record : { from, to };
  if (rec !== record) await setShift(ctx, rec);
  const s = shiftOf(from, to, count);
  if (!rec.kept) {
    const scan = await scanIds(host, upper, s, `${ve.label}: ${key}`);
    rec = { ...rec, kept: scan.kept };
    await setShift(ctx, rec);
  }
  const moved = await shiftIds(host, upper, s, restoreMap(rec.kept!, (c) => shiftCaps(c, s)));
  ctx.log.info(`${ve.label}: ${moved} files moved from host ids ${from.uid}/${from.gid} to ${to.uid}/${to.gid}`);
}
