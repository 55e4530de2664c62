/**
 * File syscalls of the fake kernel, run as one process: paths resolve through that
 * process's mount namespace and root, writes to a read-only mount are EROFS, and
 * failures are node:fs-style errors (`code`, `errno`, `syscall`, `path`). The launcher's
 * child ops and HostFs both go through here.
 */
import { XATTR_ACL_ACCESS, XATTR_ACL_DEFAULT, XATTR_CAPS, parseAcl, parseFileCaps, type BlockDevice, type FileStat, type FsStats } from '@vzkit/core';
import { statfsOf } from './fake-disks.js';
import { fault, fsError, KernelFault, type FaultTarget } from './fake-errors.js';
import type { FakeKernel } from './fake-kernel.js';
import type { Mount, Walk } from './fake-mount-table.js';
import type { FakeProcess } from './fake-process.js';
import { bytes, Inode, isAsyncReadable, isUnder, joinPath, normalizePath, splitPath, type NodeInit, type Vnode } from './fake-vnode.js';

function writable(m: Mount): void {
  if (m.readonly) throw fault('EROFS');
}

/**
 * What setxattr(2) refuses before anything is stored, in the kernel's order: a namespace
 * it does not know (EOPNOTSUPP, which node names ENOTSUP), user.* on what is neither file
 * nor directory (EPERM); an ACL shorter than its header (EINVAL), of another version
 * (ENOTSUP), of a ragged size or with an unknown tag (EINVAL), on a symlink (ENOTSUP),
 * a default one on a non-directory (EACCES); a file capability it cannot parse (EINVAL).
 */
function checkXattr(type: Vnode['type'], name: string, value: Uint8Array): void {
  if (!/^(user|trusted|security|system)\./.test(name)) throw fault('ENOTSUP');
  if (name.startsWith('user.') && type !== 'file' && type !== 'dir') throw fault('EPERM');
  if (name === XATTR_ACL_ACCESS || name === XATTR_ACL_DEFAULT) {
    if (value.length < 4) throw fault('EINVAL');
    if (new DataView(value.buffer, value.byteOffset, 4).getUint32(0, true) !== 2) throw fault('ENOTSUP');
    if (!parseAcl(value)) throw fault('EINVAL');
    if (type === 'symlink') throw fault('ENOTSUP');
    if (name === XATTR_ACL_DEFAULT && type !== 'dir') throw fault('EACCES');
  } else if (name.startsWith('system.')) {
    throw fault('ENOTSUP');
  }
  if (name === XATTR_CAPS && !parseFileCaps(value)) throw fault('EINVAL');
}

export class FsSyscalls {
  constructor(protected readonly k: FakeKernel, readonly pid: number) {}

  protected get proc(): FakeProcess {
    const p = this.k.processes.get(this.pid);
    if (!p?.alive) throw fsError('ESRCH', 'open', `/proc/${this.pid}`);
    return p;
  }

  /** Absolute and lexically normalized, relative paths taken from the process's cwd. */
  protected abs(path: string): string {
    return normalizePath(path, this.proc.cwd);
  }

  /** Runs one syscall: an armed fault first, then `fn`, KernelFaults turned into node:fs errors. */
  protected sys<T>(syscall: string, path: string, fn: () => T, target?: FaultTarget): T {
    try {
      if (target) this.k.faults.check(target, path);
      return fn();
    } catch (e) {
      if (e instanceof KernelFault) throw fsError(e.errno, syscall, e.path ?? path);
      throw e;
    }
  }

  protected get ns() {
    return this.proc.ns.mnt;
  }

  /** The entry at `abs` itself (a symlink is not followed). */
  protected lookup(abs: string): Walk {
    if (abs === '/') return this.ns.rootWalk();
    const { dir, name } = this.ns.walkParent(abs, this.proc);
    const w = this.ns.child(dir, name, this.proc);
    if (!w) throw fault('ENOENT');
    return w;
  }

  private create(abs: string, init: NodeInit): void {
    const { dir, name } = this.ns.walkParent(abs, this.proc);
    if (name === '' || this.ns.child(dir, name, this.proc)) throw fault('EEXIST');
    writable(dir.mount);
    dir.node.create(name, init, this.proc);
  }

  existsSync(path: string): boolean {
    try {
      this.ns.walk(this.abs(path), this.proc);
      return true;
    } catch (e) {
      if (e instanceof KernelFault) return false;
      throw e;
    }
  }

  /** lstat: a symlink is reported as one; undefined when the path does not exist. */
  statSync(path: string): FileStat | undefined {
    const abs = this.abs(path);
    try {
      const w = this.lookup(abs);
      const m = w.node.meta();
      const st: FileStat = { type: w.node.type, mode: m.mode, size: m.size, uid: m.uid, gid: m.gid, dev: w.node.sb.dev };
      if ((w.node.type === 'char' || w.node.type === 'block') && m.rdev) st.rdev = { major: m.rdev[0], minor: m.rdev[1] };
      return st;
    } catch (e) {
      if (e instanceof KernelFault && (e.errno === 'ENOENT' || e.errno === 'ENOTDIR')) return undefined;
      if (e instanceof KernelFault) throw fsError(e.errno, 'lstat', abs);
      throw e;
    }
  }

  /**
   * read(2) of a whole file that may be answered by a FUSE server (fake-fuse.ts), which
   * the synchronous {@link readSync} cannot wait for.
   */
  async readAsync(path: string): Promise<Uint8Array> {
    const abs = this.abs(path);
    const node = this.sys('open', abs, () => this.ns.walk(abs, this.proc).node, 'fs.readFile');
    if (!isAsyncReadable(node)) return this.readSync(path);
    try {
      return await node.open(this.proc);
    } catch (e) {
      if (e instanceof KernelFault) throw fsError(e.errno, 'open', abs);
      throw e;
    }
  }

  readSync(path: string): Uint8Array {
    const abs = this.abs(path);
    return this.sys('open', abs, () => this.ns.walk(abs, this.proc).node.read(this.proc), 'fs.readFile');
  }

  writeSync(path: string, data: string | Uint8Array, opts: { mode?: number; append?: boolean; exclusive?: boolean } = {}): void {
    const abs = this.abs(path);
    this.sys('open', abs, () => this.writeAt(abs, bytes(data), opts, 0), 'fs.writeFile');
  }

  private writeAt(abs: string, data: Uint8Array, opts: { mode?: number; append?: boolean; exclusive?: boolean }, links: number): void {
    const { dir, name } = this.ns.walkParent(abs, this.proc);
    if (name === '') throw fault('EISDIR');
    const cur = this.ns.child(dir, name, this.proc);
    // O_CREAT|O_EXCL: anything there, a dangling symlink too, is EEXIST.
    if (cur && opts.exclusive) throw fault('EEXIST');
    if (cur?.node.type === 'symlink') {
      // open(O_CREAT) through a dangling symlink creates its target.
      if (links >= 40) throw fault('ELOOP');
      return this.writeAt(normalizePath(cur.node.readlink(), dir.path), data, opts, links + 1);
    }
    if (cur) {
      if (cur.node.type === 'dir') throw fault('EISDIR');
      writable(cur.mount);
      cur.node.write(data, !!opts.append, this.proc);
      return;
    }
    writable(dir.mount);
    dir.node.create(name, { type: 'file', mode: opts.mode ?? 0o644, data }, this.proc);
  }

  /** The whole disks under the filesystem holding `path` (symlinks followed). */
  disksSync(path: string): BlockDevice[] {
    const abs = this.abs(path);
    return this.sys('stat', abs, () => this.k.disks.disksOf(this.ns.walk(abs, this.proc).node.sb));
  }

  statfsSync(path: string): FsStats {
    const abs = this.abs(path);
    return this.sys('statfs', abs, () => statfsOf(this.ns.walk(abs, this.proc).node.sb));
  }

  truncateSync(path: string, size: number): void {
    const abs = this.abs(path);
    this.sys('truncate', abs, () => {
      const w = this.ns.walk(abs, this.proc);
      writable(w.mount);
      if (!(w.node instanceof Inode)) throw fault('EINVAL');
      w.node.truncate(size);
    });
  }

  mkdirSync(path: string, opts: { mode?: number; recursive?: boolean } = {}): void {
    const abs = this.abs(path);
    const init: NodeInit = { type: 'dir', mode: opts.mode ?? 0o755 };
    this.sys('mkdir', abs, () => {
      if (!opts.recursive) return this.create(abs, init);
      const parts = splitPath(abs);
      let cur = '/';
      for (const [i, part] of parts.entries()) {
        cur = joinPath(cur, part);
        let w: Walk;
        try {
          w = this.ns.walk(cur, this.proc);
        } catch (e) {
          if (e instanceof KernelFault && e.errno === 'ENOENT') {
            this.create(cur, init);
            continue;
          }
          throw e;
        }
        if (w.node.type !== 'dir') throw fault(i === parts.length - 1 ? 'EEXIST' : 'ENOTDIR');
      }
    }, 'fs.mkdir');
  }

  mknodSync(path: string, kind: 'c' | 'b', major: number, minor: number, mode: number): void {
    const abs = this.abs(path);
    this.sys('mknod', abs, () => this.create(abs, { type: kind === 'c' ? 'char' : 'block', mode, rdev: [major, minor] }));
  }

  /** mkfifo(3) (or a socket bound at `path`, with `type`). */
  mkfifoSync(path: string, mode = 0o644, type: 'fifo' | 'socket' = 'fifo'): void {
    const abs = this.abs(path);
    this.sys('mknod', abs, () => this.create(abs, { type, mode }));
  }

  readdirSync(path: string): string[] {
    const abs = this.abs(path);
    return this.sys('scandir', abs, () => this.ns.walk(abs, this.proc).node.list(this.proc));
  }

  symlinkSync(target: string, path: string): void {
    const abs = this.abs(path);
    this.sys('symlink', abs, () => this.create(abs, { type: 'symlink', mode: 0o777, target }), 'fs.symlink');
  }

  readlinkSync(path: string): string {
    const abs = this.abs(path);
    return this.sys('readlink', abs, () => this.lookup(abs).node.readlink());
  }

  copySync(src: string, dst: string, opts: { mode?: number } = {}): void {
    const [a, b] = [this.abs(src), this.abs(dst)];
    this.sys('copyfile', a, () => {
      this.k.faults.check('fs.copyFile', a);
      const from = this.ns.walk(a, this.proc).node;
      if (from.type === 'dir') throw fault('EISDIR');
      const data = from.read(this.proc);
      const mode = opts.mode ?? from.meta().mode;
      this.writeAt(b, data, { mode }, 0);
      if (opts.mode !== undefined) this.ns.walk(b, this.proc).node.chmod(opts.mode);
    });
  }

  renameSync(from: string, to: string): void {
    const [a, b] = [this.abs(from), this.abs(to)];
    try {
      this.k.faults.check('fs.rename', a);
      const f = this.ns.walkParent(a, this.proc);
      const src = f.name === '' ? undefined : this.ns.child(f.dir, f.name, this.proc);
      if (!src) throw fault(f.name === '' ? 'EBUSY' : 'ENOENT');
      if (this.ns.mountAt(src)) throw fault('EBUSY');
      const t = this.ns.walkParent(b, this.proc);
      if (t.name === '') throw fault('EBUSY');
      const dst = this.ns.child(t.dir, t.name, this.proc);
      if (dst && this.ns.mountAt(dst)) throw fault('EBUSY');
      const dstPath = joinPath(t.dir.path, t.name);
      if (src.node.type === 'dir' && dstPath !== src.path && isUnder(dstPath, src.path)) throw fault('EINVAL');
      if (f.dir.mount !== t.dir.mount) throw fault('EXDEV');
      writable(f.dir.mount);
      f.dir.node.move(f.name, t.dir.node, t.name, this.proc);
    } catch (e) {
      if (e instanceof KernelFault) throw fsError(e.errno, 'rename', a, b);
      throw e;
    }
  }

  chmodSync(path: string, mode: number): void {
    const abs = this.abs(path);
    this.sys('chmod', abs, () => {
      const w = this.ns.walk(abs, this.proc);
      writable(w.mount);
      w.node.chmod(mode);
    }, 'fs.chmod');
  }

  /** lchown: a symlink itself, never what it points to. */
  chownSync(path: string, uid: number, gid: number): void {
    const abs = this.abs(path);
    this.sys('lchown', abs, () => {
      const w = this.lookup(abs);
      writable(w.mount);
      w.node.chown(uid, gid);
    }, 'fs.chown');
  }

  /** llistxattr: the attributes of the entry itself; none on filesystems that keep none. */
  listXattrsSync(path: string): string[] {
    const abs = this.abs(path);
    return this.sys('llistxattr', abs, () => [...(this.lookup(abs).node.xattrs?.keys() ?? [])].sort());
  }

  /** lgetxattr; undefined for an attribute that is not set (ENODATA). */
  getXattrSync(path: string, name: string): Uint8Array | undefined {
    const abs = this.abs(path);
    return this.sys('lgetxattr', abs, () => {
      const v = this.lookup(abs).node.xattrs?.get(name);
      return v && new Uint8Array(v);
    });
  }

  /** lsetxattr, refused as the kernel refuses it (see {@link checkXattr}). */
  setXattrSync(path: string, name: string, value: Uint8Array): void {
    const abs = this.abs(path);
    this.sys('lsetxattr', abs, () => {
      const w = this.lookup(abs);
      writable(w.mount);
      if (!w.node.xattrs) throw fault('ENOTSUP');
      checkXattr(w.node.type, name, value);
      if (name === XATTR_ACL_ACCESS && w.node instanceof Inode) return w.node.setAccessAcl(value);
      w.node.xattrs.set(name, new Uint8Array(value));
    }, 'fs.setXattr');
  }

  /**
   * unlink/rmdir, or with `recursive` a whole tree — refused with EBUSY naming the
   * mount point before anything is deleted when a filesystem is mounted inside it.
   */
  removeSync(path: string, opts: { recursive?: boolean } = {}): void {
    const abs = this.abs(path);
    this.sys('rm', abs, () => {
      if (abs === '/') throw fault('EBUSY');
      const { dir, name } = this.ns.walkParent(abs, this.proc);
      const w = this.ns.child(dir, name, this.proc);
      if (!w) throw fault('ENOENT');
      if (this.ns.mountAt(w)) throw fault('EBUSY', abs);
      writable(dir.mount);
      if (w.node.type === 'dir' && opts.recursive) {
        const inside = this.ns.mountsUnder(w.path);
        if (inside.length > 0) throw fault('EBUSY', inside[0]!.target);
        this.removeTree(w.node);
      }
      dir.node.unlink(name, this.proc);
    }, 'fs.remove');
  }

  private removeTree(node: Vnode): void {
    for (const name of node.list(this.proc)) {
      const c = node.lookup(name, this.proc);
      if (c?.type === 'dir') this.removeTree(c);
      node.unlink(name, this.proc);
    }
  }

  /**
   * Everything below `path` as this process sees it, one line per entry, relative and
   * sorted: `dir/`, `file`, `link -> target`, `null c 1:3` (a whiteout shows as `c 0:0`).
   * `xdev` stays on the filesystem of `path` (mount points are listed, not entered).
   */
  tree(path = '/', opts: { xdev?: boolean } = {}): string[] {
    const abs = this.abs(path);
    return this.sys('scandir', abs, () => {
      const out: string[] = [];
      const visit = (at: Walk, rel: string) => {
        for (const name of at.node.list(this.proc)) {
          const c = this.ns.child(at, name, this.proc);
          if (!c) continue;
          const r = `${rel}${name}`;
          const m = c.node.meta();
          if (c.node.type === 'dir') {
            out.push(`${r}/`);
            if (!opts.xdev || c.mount === at.mount) visit(c, `${r}/`);
          } else if (c.node.type === 'symlink') out.push(`${r} -> ${c.node.readlink()}`);
          else if (c.node.type === 'char' || c.node.type === 'block') out.push(`${r} ${c.node.type === 'char' ? 'c' : 'b'} ${m.rdev?.[0] ?? 0}:${m.rdev?.[1] ?? 0}`);
          else out.push(r);
        }
      };
      visit(this.ns.walk(abs, this.proc), '');
      return out;
    });
  }
}
