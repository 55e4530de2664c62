/**
 * The fake kernel's file objects. A {@link Superblock} is one mounted filesystem with
 * its own device number; a {@link Vnode} is a file, directory, symlink or device node
 * in it. {@link Inode} is the plain in-memory kind (ext4, tmpfs, sysfs); overlay and
 * proc provide their own Vnodes with the same interface.
 */
import { ACL_GROUP_OBJ, ACL_MASK, ACL_OTHER, ACL_USER_OBJ, XATTR_ACL_ACCESS, formatAcl, parseAcl, type FileStat } from '@vzkit/core';
import { fault } from './fake-errors.js';

export type FileType = FileStat['type'];

/** Who is looking: proc and /proc/sys answer per process (its pid, uts, ipc, net namespaces). */
export interface Accessor {
  readonly pid: number;
}

export interface NodeInit {
  type: FileType;
  mode: number;
  data?: Uint8Array;
  target?: string;
  rdev?: [number, number];
}

export interface NodeMeta {
  mode: number;
  size: number;
  uid: number;
  gid: number;
  rdev?: [number, number];
}

/** How big a filesystem is (what statfs reports as its size); writes past it are ENOSPC. */
export interface FsCapacity {
  blockSize: number;
  blocks: number;
  /** Inodes in all; 0 for a filesystem without a fixed number (btrfs). */
  files: number;
}

export class Superblock {
  root!: Vnode;
  /** Set for filesystems of a given size (images); others are as large as needed. */
  capacity: FsCapacity | undefined;
  /** Blocks nobody may write (ext4's reserved_clusters in sysfs), read at each write. */
  reserved: (() => number) | undefined;
  constructor(
    readonly dev: number,
    readonly fstype: string,
    /** What mountinfo shows as the source (`/dev/vda1`, `tmpfs`, `overlay`, the loop device of an image). */
    public source: string,
    /** Filesystem options shown after the per-mount flags (`lowerdir=...`, `size=64m`, an image's `prjquota`). */
    public options = '',
  ) {}
}

/** Blocks and inodes the files of a plain in-memory filesystem take (a directory: one block). */
export function usageOf(sb: Superblock): { blocks: number; files: number } {
  const bs = sb.capacity?.blockSize ?? 4096;
  let blocks = 0;
  let files = 0;
  const walk = (n: Vnode): void => {
    files++;
    if (!(n instanceof Inode)) return;
    if (n.type === 'file') blocks += Math.ceil(n.data.length / bs);
    else if (n.type === 'dir') {
      blocks++;
      for (const c of n.children.values()) walk(c);
    }
  };
  walk(sb.root);
  return { blocks, files };
}

/** ENOSPC when `blocks` more blocks (or `files` more inodes) do not fit in a sized filesystem. */
function reserve(sb: Superblock, blocks: number, files: number): void {
  const cap = sb.capacity;
  if (!cap || (blocks <= 0 && files <= 0)) return;
  const used = usageOf(sb);
  if (used.blocks + blocks > cap.blocks - (sb.reserved?.() ?? 0) || (cap.files > 0 && used.files + files > cap.files)) throw fault('ENOSPC');
}

export interface Vnode {
  readonly sb: Superblock;
  readonly type: FileType;
  /** Overlay's `trusted.overlay.opaque`: lower layers are not merged below this directory. */
  readonly opaque?: boolean;
  /** Extended attributes, where the filesystem keeps them (plain inodes; not proc, sys or an overlay's merged view). */
  readonly xattrs?: Map<string, Uint8Array>;
  meta(): NodeMeta;
  lookup(name: string, who: Accessor): Vnode | undefined;
  list(who: Accessor): string[];
  read(who: Accessor): Uint8Array;
  write(data: Uint8Array, append: boolean, who: Accessor): void;
  /** Adds a child; EEXIST when the name is taken. */
  create(name: string, init: NodeInit, who: Accessor): Vnode;
  /** Removes a child; ENOTEMPTY for a non-empty directory. */
  unlink(name: string, who: Accessor): void;
  readlink(): string;
  chmod(mode: number): void;
  chown(uid: number, gid: number): void;
  /** rename(2) of child `name` to `dir/newName`, both in this filesystem (EXDEV otherwise). */
  move(name: string, dir: Vnode, newName: string, who: Accessor): void;
}

/** A file whose content a server makes per open (FUSE, fake-fuse.ts): the async read path awaits `open`. */
export interface AsyncReadable {
  open(who: Accessor): Promise<Uint8Array>;
}

export function isAsyncReadable(v: Vnode): v is Vnode & AsyncReadable {
  return typeof (v as Partial<AsyncReadable>).open === 'function';
}

export const encoder = new TextEncoder();
export const decoder = new TextDecoder();

export function bytes(data: string | Uint8Array): Uint8Array {
  return typeof data === 'string' ? encoder.encode(data) : new Uint8Array(data);
}

/** Overlay's whiteout: a 0/0 character device hiding the lower file of the same name. */
export function isWhiteout(v: Vnode): boolean {
  if (v.type !== 'char') return false;
  const r = v.meta().rdev;
  return !!r && r[0] === 0 && r[1] === 0;
}

/** The plain in-memory file. */
export class Inode implements Vnode {
  mode: number;
  uid = 0;
  gid = 0;
  opaque = false;
  data: Uint8Array = new Uint8Array();
  /** Size beyond `data`: a hole left by truncate (a sparse file), taking no blocks. */
  hole = 0;
  target = '';
  rdev: [number, number] | undefined;
  readonly children = new Map<string, Inode>();
  readonly xattrs = new Map<string, Uint8Array>();

  constructor(readonly sb: Superblock, readonly type: FileType, mode: number) {
    this.mode = mode & 0o7777;
  }

  static from(sb: Superblock, init: NodeInit): Inode {
    const n = new Inode(sb, init.type, init.mode);
    if (init.data) n.data = new Uint8Array(init.data);
    if (init.target !== undefined) n.target = init.target;
    if (init.rdev) n.rdev = init.rdev;
    return n;
  }

  meta(): NodeMeta {
    const size = this.type === 'file' ? this.data.length + this.hole : this.type === 'dir' ? 4096 : this.type === 'symlink' ? this.target.length : 0;
    return { mode: this.mode, size, uid: this.uid, gid: this.gid, ...(this.rdev ? { rdev: this.rdev } : {}) };
  }

  lookup(name: string): Vnode | undefined {
    return this.children.get(name);
  }

  list(): string[] {
    if (this.type !== 'dir') throw fault('ENOTDIR');
    return [...this.children.keys()].sort();
  }

  read(): Uint8Array {
    if (this.type === 'dir') throw fault('EISDIR');
    if (this.type !== 'file') throw fault('EINVAL');
    return this.data;
  }

  write(data: Uint8Array, append: boolean): void {
    if (this.type === 'dir') throw fault('EISDIR');
    if (this.type !== 'file') return; // writes to device nodes go nowhere, like /dev/null
    const bs = this.sb.capacity?.blockSize ?? 4096;
    const after = append ? this.data.length + data.length : data.length;
    reserve(this.sb, Math.ceil(after / bs) - Math.ceil(this.data.length / bs), 0);
    this.hole = 0;
    if (!append) {
      this.data = new Uint8Array(data);
      return;
    }
    const joined = new Uint8Array(this.data.length + data.length);
    joined.set(this.data);
    joined.set(data, this.data.length);
    this.data = joined;
  }

  create(name: string, init: NodeInit): Vnode {
    if (this.type !== 'dir') throw fault('ENOTDIR');
    if (this.children.has(name)) throw fault('EEXIST');
    reserve(this.sb, (init.type === 'dir' ? 1 : 0) + Math.ceil((init.data?.length ?? 0) / (this.sb.capacity?.blockSize ?? 4096)), 1);
    const n = Inode.from(this.sb, init);
    this.children.set(name, n);
    return n;
  }

  unlink(name: string): void {
    const c = this.children.get(name);
    if (!c) throw fault('ENOENT');
    if (c.type === 'dir' && c.children.size > 0) throw fault('ENOTEMPTY');
    this.children.delete(name);
  }

  readlink(): string {
    if (this.type !== 'symlink') throw fault('EINVAL');
    return this.target;
  }

  /** chmod(2); an access ACL follows the new permission bits (posix_acl_chmod). */
  chmod(mode: number): void {
    this.mode = mode & 0o7777;
    const acl = this.xattrs.get(XATTR_ACL_ACCESS);
    const entries = acl && parseAcl(acl);
    if (!entries) return;
    const hasMask = entries.some((e) => e.tag === ACL_MASK);
    const bits = (tag: number) => (tag === ACL_USER_OBJ ? (mode >> 6) & 7 : tag === ACL_OTHER ? mode & 7 : tag === (hasMask ? ACL_MASK : ACL_GROUP_OBJ) ? (mode >> 3) & 7 : undefined);
    this.xattrs.set(XATTR_ACL_ACCESS, formatAcl(entries.map((e) => ({ ...e, perm: bits(e.tag) ?? e.perm }))));
  }

  /**
   * Setting an access ACL sets the permission bits from it (posix_acl_update_mode); an
   * ACL the bits alone express (owner, group, other) is not kept as an attribute.
   */
  setAccessAcl(value: Uint8Array): void {
    const entries = parseAcl(value)!;
    const perm = (tag: number) => entries.find((e) => e.tag === tag)?.perm ?? 0;
    const group = entries.some((e) => e.tag === ACL_MASK) ? perm(ACL_MASK) : perm(ACL_GROUP_OBJ);
    this.mode = (this.mode & ~0o777) | (perm(ACL_USER_OBJ) << 6) | (group << 3) | perm(ACL_OTHER);
    if (entries.every((e) => e.tag === ACL_USER_OBJ || e.tag === ACL_GROUP_OBJ || e.tag === ACL_OTHER)) this.xattrs.delete(XATTR_ACL_ACCESS);
    else this.xattrs.set(XATTR_ACL_ACCESS, new Uint8Array(value));
  }

  /**
   * As the kernel's chown_common: on anything but a directory the setuid bit goes, the
   * setgid bit where group execute is set, and file capabilities (ATTR_KILL_SUID,
   * ATTR_KILL_SGID, ATTR_KILL_PRIV), whoever the caller and whatever the new owner.
   */
  chown(uid: number, gid: number): void {
    this.uid = uid;
    this.gid = gid;
    if (this.type === 'dir') return;
    this.mode &= ~0o4000;
    if (this.mode & 0o010) this.mode &= ~0o2000;
    this.xattrs.delete('security.capability');
  }

  /** truncate(2): cut the data, or grow by a hole that takes no blocks. */
  truncate(size: number): void {
    if (this.type === 'dir') throw fault('EISDIR');
    if (this.type !== 'file') throw fault('EINVAL');
    if (size <= this.data.length) {
      this.data = this.data.slice(0, size);
      this.hole = 0;
    } else {
      this.hole = size - this.data.length;
    }
  }

  move(name: string, dir: Vnode, newName: string): void {
    if (!(dir instanceof Inode) || dir.sb !== this.sb) throw fault('EXDEV');
    const c = this.children.get(name);
    if (!c) throw fault('ENOENT');
    const dest = dir.children.get(newName);
    if (dest === c) return;
    if (dest) {
      if (dest.type === 'dir' && c.type !== 'dir') throw fault('EISDIR');
      if (dest.type !== 'dir' && c.type === 'dir') throw fault('ENOTDIR');
      if (dest.type === 'dir' && dest.children.size > 0) throw fault('ENOTEMPTY');
    }
    this.children.delete(name);
    dir.children.set(newName, c);
  }
}

/** A new empty filesystem with a root directory. */
export function newFilesystem(dev: number, fstype: string, source: string, options = '', rootMode = 0o755): Superblock {
  const sb = new Superblock(dev, fstype, source, options);
  sb.root = new Inode(sb, 'dir', rootMode);
  return sb;
}

/** `/a//b/./c/` → `['a','b','c']`; `..` is kept for the walk to resolve. */
export function splitPath(path: string): string[] {
  return path.split('/').filter((p) => p !== '' && p !== '.');
}

export function joinPath(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

/** Lexical normalization (`/a/b/../c` → `/a/c`) for absolute paths; relative ones join `cwd`. */
export function normalizePath(path: string, cwd = '/'): string {
  const out: string[] = [];
  for (const p of splitPath(path.startsWith('/') ? path : `${cwd}/${path}`)) {
    if (p === '..') out.pop();
    else out.push(p);
  }
  return `/${out.join('/')}`;
}

export function isUnder(path: string, base: string): boolean {
  return base === '/' ? path.startsWith('/') : path === base || path.startsWith(`${base}/`);
}

export function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
