/**
 * Moving a tree of files from one id range to another: what converting a VE between
 * the host root's and a range of its own (or between two ranges) does to its private
 * area. Every owner, every id in a POSIX ACL and the root of every file capability in
 * the `from` range moves by the same offset; modes, setuid bits, timestamps, overlay
 * whiteouts and opaque markers stay.
 *
 * The kernel takes the setuid and setgid bits and file capabilities away at each chown
 * of a non-directory, so a shift is two passes: {@link scanIds} reads the tree, checks
 * that every id can move, and lists what those chowns would cost; {@link shiftIds} moves
 * the ids and puts it back. The list is the caller's intent record: kept, a shift killed
 * half-way runs again (or backwards) with it and loses nothing, because each id is moved
 * only while it is still in the range it comes from. Symlinks are never followed and
 * the walk stays on the tree's filesystem; it is meant for a stopped VE's files, which
 * nothing else changes meanwhile.
 */
import { join } from 'node:path';
import { vzError } from './errors.js';
import type { FileStat, Host } from './host.js';
import {
  ACL_GROUP, ACL_USER, formatAcl, formatFileCaps, parseAcl, parseFileCaps,
  XATTR_ACL_ACCESS, XATTR_ACL_DEFAULT, XATTR_CAPS,
} from './xattr-formats.js';

/** Ids [from, from + count) become [to, to + count), uids and gids each by their own bases. */
export interface IdShift {
  uid: { from: number; to: number };
  gid: { from: number; to: number };
  count: number;
}

/** What a chown of this entry takes away, as it is before the shift (path relative to the tree). */
export interface KeptAttrs {
  path: string;
  /** Permission bits with setuid/setgid/sticky. */
  mode: number;
  /** The `security.capability` value, base64. */
  caps?: string;
}

export interface TreeScan {
  entries: number;
  kept: KeptAttrs[];
}

const ACL_NAMES = [XATTR_ACL_ACCESS, XATTR_ACL_DEFAULT] as const;

function moved(id: number, r: { from: number; to: number }, count: number): number {
  return id >= r.from && id < r.from + count ? id - r.from + r.to : id;
}

function inRange(id: number, r: { from: number }, count: number): boolean {
  return id >= r.from && id < r.from + count;
}

/** The reverse shift: what undoes `s`. */
export function reverseShift(s: IdShift): IdShift {
  return { uid: { from: s.uid.to, to: s.uid.from }, gid: { from: s.gid.to, to: s.gid.from }, count: s.count };
}

/** An overlay whiteout: overlayfs makes them as the host's root whatever the VE; they carry no id of the VE. */
function isWhiteout(st: FileStat): boolean {
  return st.type === 'char' && st.rdev?.major === 0 && st.rdev?.minor === 0;
}

/** A `security.capability` value moved by `s` (its root id), or undefined when it cannot be read. */
export function shiftCaps(value: Uint8Array, s: IdShift): Uint8Array | undefined {
  const caps = parseFileCaps(value);
  return caps && formatFileCaps({ ...caps, rootid: moved(caps.rootid, s.uid, s.count) });
}

async function* entries(host: Host, top: string): AsyncGenerator<{ path: string; rel: string; st: FileStat }> {
  const root = await host.fs.stat(top);
  if (root?.type !== 'dir') throw vzError('PRIVATE_NOT_FOUND', `${top} is not a directory`, { path: top });
  yield { path: top, rel: '.', st: root };
  const dirs: Array<{ path: string; rel: string }> = [{ path: top, rel: '' }];
  while (dirs.length) {
    const dir = dirs.pop()!;
    for (const name of (await host.fs.readdir(dir.path)).sort()) {
      const path = join(dir.path, name);
      const rel = dir.rel ? `${dir.rel}/${name}` : name;
      const st = await host.fs.stat(path);
      if (!st) continue;
      if (st.type === 'dir' && st.dev !== root.dev) {
        throw vzError('MOUNTED', `${path} is a mount point inside ${top}: unmount it first`, { path, errno: 'EBUSY' });
      }
      yield { path, rel, st };
      if (st.type === 'dir') dirs.push({ path, rel });
    }
  }
}

/**
 * Reads the tree at `top` and checks that every id in it lies in `s`'s `from` ranges.
 * A refusal names the VE (`label`) and what asked for the move (`what`: `LOCAL_UID=100000`).
 */
export async function scanIds(host: Host, top: string, s: IdShift, label: string, what: string): Promise<TreeScan> {
  const out: TreeScan = { entries: 0, kept: [] };
  const refuse = (rel: string, field: string, id: number, kind: 'uid' | 'gid') => {
    const r = s[kind];
    return vzError('BAD_VALUE', `${label}: ${what}: ${join(top, rel)} has ${field} ${id}, outside the ${kind}s the VE's files may have (${r.from}-${r.from + s.count - 1}): it cannot be moved to the new range`, {
      about: label, path: join(top, rel), hint: `give it an owner inside the range (ids 0-${s.count - 1} inside the VE), then convert again`,
    });
  };
  for await (const { path, rel, st } of entries(host, top)) {
    out.entries++;
    if (isWhiteout(st)) continue;
    if (!inRange(st.uid, s.uid, s.count)) throw refuse(rel, 'owner uid', st.uid, 'uid');
    if (!inRange(st.gid, s.gid, s.count)) throw refuse(rel, 'group gid', st.gid, 'gid');
    if (st.type === 'symlink') continue;
    const names = await host.fs.listXattrs(path);
    for (const name of ACL_NAMES) {
      if (!names.includes(name)) continue;
      for (const e of parseAcl((await host.fs.getXattr(path, name)) ?? new Uint8Array()) ?? []) {
        if (e.tag === ACL_USER && !inRange(e.id, s.uid, s.count)) throw refuse(rel, `an ACL entry for uid`, e.id, 'uid');
        if (e.tag === ACL_GROUP && !inRange(e.id, s.gid, s.count)) throw refuse(rel, `an ACL entry for gid`, e.id, 'gid');
      }
    }
    if (st.type === 'dir') continue;
    const caps = names.includes(XATTR_CAPS) ? await host.fs.getXattr(path, XATTR_CAPS) : undefined;
    const parsed = caps && parseFileCaps(caps);
    if (parsed && !inRange(parsed.rootid, s.uid, s.count)) throw refuse(rel, 'file capabilities for root uid', parsed.rootid, 'uid');
    if (caps || st.mode & 0o6000) out.kept.push({ path: rel, mode: st.mode, ...(caps ? { caps: Buffer.from(caps).toString('base64') } : {}) });
  }
  return out;
}

/** What {@link shiftIds} puts back on an entry after its chown: the mode, and the capabilities as they must be now. */
export interface Restore {
  mode: number;
  caps?: Uint8Array;
}

/**
 * Moves the ids of the tree at `top` by `s` and gives each entry in `restore` (by path
 * relative to `top`) its mode and capabilities back. Ids outside the `from` ranges are
 * left as they are, so running it again after an interruption finishes the work.
 * Returns how many entries changed owner.
 */
export async function shiftIds(host: Host, top: string, s: IdShift, restore: ReadonlyMap<string, Restore>): Promise<number> {
  let changed = 0;
  for await (const { path, rel, st } of entries(host, top)) {
    if (isWhiteout(st)) continue;
    const uid = moved(st.uid, s.uid, s.count);
    const gid = moved(st.gid, s.gid, s.count);
    if (uid !== st.uid || gid !== st.gid) {
      await host.fs.chown(path, uid, gid);
      changed++;
    }
    if (st.type === 'symlink') continue;
    const back = restore.get(rel);
    if (back && st.type !== 'dir') {
      await host.fs.chmod(path, back.mode);
      if (back.caps) await host.fs.setXattr(path, XATTR_CAPS, back.caps);
    }
    const names = await host.fs.listXattrs(path);
    for (const name of ACL_NAMES) {
      if (!names.includes(name)) continue;
      const acl = parseAcl((await host.fs.getXattr(path, name)) ?? new Uint8Array());
      if (!acl) continue;
      let differs = false;
      const next = acl.map((e) => {
        const id = e.tag === ACL_USER ? moved(e.id, s.uid, s.count) : e.tag === ACL_GROUP ? moved(e.id, s.gid, s.count) : e.id;
        if (id !== e.id) differs = true;
        return { ...e, id };
      });
      if (differs) await host.fs.setXattr(path, name, formatAcl(next));
    }
  }
  return changed;
}
