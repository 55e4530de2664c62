/**
 * FuseService of the Linux host: a {@link ServedFs} mounted from /dev/fuse and answered
 * by this Node process, without libfuse. The FUSE protocol needed for a read-only tree
 * of generated files is small (./fuse-protocol.ts); speaking it here keeps the server one
 * process (no C helper relaying requests to Node) and its policy in TypeScript.
 *
 * One read of /dev/fuse at a time waits on a libuv worker thread; each request is then
 * answered on its own, so a slow one does not hold up the others.
 *
 * Every lookup of a file gets a new node (an inode of its own), which the kernel drops
 * again (FORGET) once unused, and names of files are never cached (entry timeout 0): a
 * process that walks to a file gets a node no other process walked to, so the page cache
 * of what one VE read is never another's. Its content is made for the process that opens
 * it, at each open, and kept with the handle: a node a bind mount pins (/proc/meminfo
 * inside a VE, bound once, from outside) is read afresh, and for the reader, at every
 * open. Reads go through the page cache as on any file, which the kernel drops at each
 * open (no FOPEN_KEEP_CACHE): sendfile and splice (busybox `cat`) read it up to the
 * inode's size, which for a size-0, direct-I/O file like lxcfs's is nothing (Linux up to
 * 6.18 at least, until "fuse: use copy_splice_read for FOPEN_DIRECT_IO"). So the size is
 * kept right at each open: it stores the last byte of its content (FUSE_NOTIFY_STORE),
 * which grows the kernel's size to it; a shorter content shrinks it at the first short
 * read. A lookup makes no content (a new node is size 0, as procfs's files are until
 * read): a walk that only binds or stats a file, as a VE's start does, costs the server
 * nothing but the node.
 */
import { closeSync, openSync, read, writeSync } from 'node:fs';
import { constants } from 'node:os';
import { vzError, type FuseCaller, type FuseService, type FuseSession, type ServedEntry, type ServedFs } from '@vzkit/core';
import {
  DT_DIR, DT_REG, OP, ROOT_ID, decodeForgets, decodeGetattr, decodeInit, decodeName, decodeOpen, decodeRead, decodeRelease, decodeRequest,
  encodeAttr, encodeDirents, encodeEntry, encodeInit, encodeNotifyStore, encodeOpen, encodeReply, encodeStatfs, negotiate, type Attr, type Request,
} from './fuse-protocol.js';
import { MNT_DETACH, MS, mount, umount2 } from './syscalls.js';
import { errnoCode } from './errno.js';

/** How long the kernel may cache directories and a node's attributes: neither ever changes. */
const VALID_SEC = 3600;
/** Larger than any request of a read-only filesystem (the kernel wants at least 8 KiB). */
const READ_BUFFER = 256 * 1024;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const O_ACCMODE = 3;
/**
 * Looked-up files an owner may hold per open file it may hold. The kernel forgets a
 * node only once it drops the name (at the next lookup of it, or under memory
 * pressure) or the last bind of it goes, so nodes outlive their opens for a while; they
 * are bounded apart, and far higher, so that names the kernel still caches never make
 * an open fail, while a VE that pins nodes with binds in a loop still hits a bound.
 */
const NODES_PER_OPEN = 16;
/** Node ids of per-lookup file nodes start here, far above the fixed tree's. */
const FIRST_FILE_ID = 1n << 32n;
/** Node ids of the scopes' copies of the tree start here, between the two. */
const FIRST_SCOPED_ID = 1n << 20n;

const errno = (name: string): number => (constants.errno as Record<string, number>)[name] ?? constants.errno.EIO;

interface Node {
  id: bigint;
  /** Relative to its tree: the top tree, or the copy named `scope`. */
  path: string;
  scope?: string;
  type: 'dir' | 'file';
  mode: number;
  parent: bigint;
  children: Map<string, bigint>;
}

/** The fixed tree: the root (node 1) and every entry, each under its parent directory. */
export function buildTree(entries: readonly ServedEntry[]): Map<bigint, Node> {
  const nodes = new Map<bigint, Node>([[ROOT_ID, { id: ROOT_ID, path: '', type: 'dir', mode: 0o555, parent: ROOT_ID, children: new Map() }]]);
  const byPath = new Map<string, Node>([['', nodes.get(ROOT_ID)!]]);
  let next = ROOT_ID + 1n;
  for (const e of [...entries].sort((a, b) => a.path.split('/').length - b.path.split('/').length)) {
    const cut = e.path.lastIndexOf('/');
    const parent = byPath.get(cut < 0 ? '' : e.path.slice(0, cut));
    if (!parent || parent.type !== 'dir') throw vzError('BAD_VALUE', `served file ${e.path}: its directory is not an entry`);
    const node: Node = { id: next++, path: e.path, type: e.type, mode: e.mode & 0o7777, parent: parent.id, children: new Map() };
    parent.children.set(e.path.slice(cut + 1), node.id);
    nodes.set(node.id, node);
    byPath.set(e.path, node);
  }
  return nodes;
}

/**
 * A file as one lookup made it: the size of its latest content (not the content: a
 * node lives as long as the kernel keeps the name, or a bind pins it), whose it is, and
 * how many lookups the kernel holds.
 */
interface FileNode {
  entry: Node;
  size: number;
  owner: string;
  lookups: bigint;
}

/** One open of a file: the content made for it. */
interface Handle {
  data: Buffer;
  owner: string;
}

class FuseServer {
  private readonly tree: Map<bigint, Node>;
  private readonly files = new Map<bigint, FileNode>();
  private nextFile = FIRST_FILE_ID;
  private readonly handles = new Map<bigint, Handle>();
  private nextHandle = 1n;
  /**
   * Per-lookup nodes, and open handles, alive per owner (ServedContent.owner), each
   * against ServedFs.openLimit: a node pinned by a bind can be opened any number of times.
   */
  private readonly nodesOf = new Map<string, number>();
  private readonly handlesOf = new Map<string, number>();
  private readonly mounted = Date.now() / 1000;
  /** The directory whose names are scopes, and each scope's copy of the tree (its root's id). */
  private readonly scopesDir: bigint | undefined;
  private readonly scoped = new Map<string, Promise<bigint | undefined>>();
  private nextScoped = FIRST_SCOPED_ID;

  constructor(private readonly fd: number, private readonly fs: ServedFs, private readonly timeoutSec: number) {
    this.tree = buildTree(fs.entries);
    const dir = fs.scopes && [...this.tree.values()].find((n) => n.path === fs.scopes!.dir && n.type === 'dir');
    if (fs.scopes && !dir) throw vzError('BAD_VALUE', `served scopes directory ${fs.scopes.dir}: not a directory entry`);
    this.scopesDir = dir ? dir.id : undefined;
  }

  /** The root of scope `name`'s copy of the tree, made at its first lookup; undefined when the server knows no such scope. */
  private scope(name: string): Promise<bigint | undefined> {
    let root = this.scoped.get(name);
    if (!root) {
      root = this.fs.scopes!.exists(name).then((ok) => (ok ? this.copyTree(name) : undefined));
      // Refused names are asked again next time (the scope may exist by then).
      root.then((id) => id === undefined && this.scoped.delete(name), () => this.scoped.delete(name));
      this.scoped.set(name, root);
    }
    return root;
  }

  /** Copies the top tree, less the scopes directory, as scope `name`. */
  private copyTree(name: string): bigint {
    const under = this.tree.get(this.scopesDir!)!.path + '/';
    const ids = new Map<bigint, bigint>();
    const top = [...this.tree.values()].filter((n) => n.scope === undefined && n.id !== this.scopesDir && !n.path.startsWith(under));
    for (const n of top) ids.set(n.id, this.nextScoped++);
    for (const n of top) {
      const children = new Map([...n.children].filter(([, id]) => ids.has(id)).map(([k, id]) => [k, ids.get(id)!]));
      const parent = n.id === ROOT_ID ? this.scopesDir! : ids.get(n.parent)!;
      this.tree.set(ids.get(n.id)!, { ...n, id: ids.get(n.id)!, parent, children, scope: name });
    }
    return ids.get(ROOT_ID)!;
  }

  /** Answers requests until the kernel ends the session (ENODEV after the unmount, ECONNABORTED after an abort). */
  async run(): Promise<void> {
    const buf = Buffer.alloc(READ_BUFFER);
    for (;;) {
      let n: number;
      try {
        n = await new Promise<number>((resolve, reject) => read(this.fd, buf, 0, buf.length, null, (e, got) => (e ? reject(e) : resolve(got))));
      } catch (e) {
        // ENOENT: the request was interrupted before it was read; EINTR/EAGAIN: try again.
        if (['ENOENT', 'EINTR', 'EAGAIN'].includes(errnoCode(e) ?? '')) continue;
        return;
      }
      if (n === 0) return;
      let req: Request;
      try {
        req = decodeRequest(buf.subarray(0, n));
      } catch {
        continue;
      }
      if (req.opcode === OP.DESTROY) {
        this.reply(req, Buffer.alloc(0));
        return;
      }
      void this.handle(req).catch(() => this.reply(req, undefined, constants.errno.EIO));
    }
  }

  /** Counts one more node or handle against `owner`; false (nothing counted) at `times` the open limit. */
  private take(count: Map<string, number>, owner: string, times = 1): boolean {
    const held = count.get(owner) ?? 0;
    if (this.fs.openLimit !== undefined && held >= this.fs.openLimit * times) return false;
    count.set(owner, held + 1);
    return true;
  }

  private give(count: Map<string, number>, owner: string): void {
    const left = (count.get(owner) ?? 1) - 1;
    if (left > 0) count.set(owner, left);
    else count.delete(owner);
  }

  /** Writes a reply; false when the kernel no longer waits for it (the caller was interrupted). */
  private reply(req: Request, body: Buffer | undefined, err = 0): boolean {
    try {
      writeSync(this.fd, encodeReply(req.unique, body, err));
      return true;
    } catch {
      return false;
    }
  }

  private attr(n: Node, size = 0): Attr {
    // st_ino stays the entry's whatever node a lookup made: the file is one file to its readers.
    return { ino: n.id, mode: (n.type === 'dir' ? S_IFDIR : S_IFREG) | n.mode, nlink: n.type === 'dir' ? 2 : 1, size, time: this.mounted };
  }

  private async handle(req: Request): Promise<void> {
    switch (req.opcode) {
      case OP.INIT:
        this.reply(req, encodeInit(negotiate(decodeInit(req.body), this.timeoutSec)));
        return;
      case OP.INTERRUPT:
        // The interrupted request is answered when it is done; the kernel waits for that.
        return;
      case OP.FORGET: case OP.BATCH_FORGET:
        for (const f of decodeForgets(req)) this.forget(f.nodeid, f.nlookup);
        return;
      case OP.LOOKUP:
        return this.lookup(req);
      case OP.GETATTR: {
        const dir = this.tree.get(req.nodeid);
        const file = this.files.get(req.nodeid);
        // With a handle (fstat, or a read past the size the kernel holds): that open's size.
        const { fh } = decodeGetattr(req.body);
        const open = fh === undefined ? undefined : this.handles.get(fh);
        if (file) this.reply(req, encodeAttr(this.attr(file.entry, open ? open.data.length : file.size), VALID_SEC));
        else if (dir && dir.type === 'dir') this.reply(req, encodeAttr(this.attr(dir), VALID_SEC));
        else this.reply(req, undefined, constants.errno.ENOENT);
        return;
      }
      case OP.OPEN:
        return this.open(req);
      case OP.READ: {
        const { fh, offset, size } = decodeRead(req.body);
        const data = this.handles.get(fh)?.data;
        if (!data) return void this.reply(req, undefined, constants.errno.EBADF);
        const from = Number(offset > BigInt(data.length) ? BigInt(data.length) : offset);
        this.reply(req, data.subarray(from, Math.min(data.length, from + size)));
        return;
      }
      case OP.RELEASE: {
        const { fh } = decodeRelease(req.body);
        const open = this.handles.get(fh);
        if (open) {
          this.handles.delete(fh);
          this.give(this.handlesOf, open.owner);
        }
        this.reply(req, Buffer.alloc(0));
        return;
      }
      case OP.FLUSH: case OP.RELEASEDIR:
        this.reply(req, Buffer.alloc(0));
        return;
      case OP.OPENDIR: {
        const dir = this.tree.get(req.nodeid);
        if (!dir) this.reply(req, undefined, this.files.has(req.nodeid) ? constants.errno.ENOTDIR : constants.errno.ENOENT);
        else if (dir.type !== 'dir') this.reply(req, undefined, constants.errno.ENOTDIR);
        else this.reply(req, encodeOpen(0n, 0));
        return;
      }
      case OP.READDIR: {
        const dir = this.tree.get(req.nodeid);
        if (!dir || dir.type !== 'dir') return void this.reply(req, undefined, constants.errno.ENOTDIR);
        const { offset, size } = decodeRead(req.body);
        const list = [
          { ino: dir.id, name: '.', type: DT_DIR },
          { ino: dir.parent, name: '..', type: DT_DIR },
          ...[...dir.children].map(([name, id]) => ({ ino: id, name, type: this.tree.get(id)!.type === 'dir' ? DT_DIR : DT_REG })),
        ];
        this.reply(req, encodeDirents(list, Number(offset), size));
        return;
      }
      case OP.STATFS:
        this.reply(req, encodeStatfs());
        return;
      default:
        this.reply(req, undefined, constants.errno.ENOSYS);
    }
  }

  private async lookup(req: Request): Promise<void> {
    const dir = this.tree.get(req.nodeid);
    const name = decodeName(req.body);
    const id = dir?.type !== 'dir' ? undefined : dir.id === this.scopesDir ? await this.scope(name) : dir.children.get(name);
    const entry = id === undefined ? undefined : this.tree.get(id);
    if (!entry) return void this.reply(req, undefined, constants.errno.ENOENT);
    if (entry.type === 'dir') return void this.reply(req, encodeEntry(entry.id, this.attr(entry), VALID_SEC));
    // Counted against the copy walked (a VE reaches only its own) or, in the top tree, the walker's uid.
    const owner = entry.scope !== undefined ? `scope ${entry.scope}` : `uid ${req.uid}`;
    if (!this.take(this.nodesOf, owner, NODES_PER_OPEN)) return void this.reply(req, undefined, constants.errno.EMFILE);
    const node: FileNode = { entry, size: 0, owner, lookups: 1n };
    const nodeid = this.nextFile++;
    this.files.set(nodeid, node);
    // Entry timeout 0: the next walk looks the name up again, for whoever walks it.
    if (!this.reply(req, encodeEntry(nodeid, this.attr(entry, 0), 0, VALID_SEC))) this.forget(nodeid, 1n);
  }

  /** An open: the content made for the opener. */
  private async open(req: Request): Promise<void> {
    const file = this.files.get(req.nodeid);
    if (!file) return void this.reply(req, undefined, this.tree.get(req.nodeid)?.type === 'dir' ? constants.errno.EISDIR : constants.errno.ENOENT);
    if ((decodeOpen(req.body).flags & O_ACCMODE) !== 0) return void this.reply(req, undefined, constants.errno.EACCES);
    let made: { data: Buffer; owner: string };
    try {
      made = await this.content(file.entry, { pid: req.pid, uid: req.uid, gid: req.gid });
    } catch (e) {
      const name = (e as { errno?: unknown }).errno;
      return void this.reply(req, undefined, typeof name === 'string' ? errno(name) : constants.errno.EIO);
    }
    if (!this.take(this.handlesOf, made.owner)) return void this.reply(req, undefined, constants.errno.EMFILE);
    const fh = this.nextHandle++;
    this.handles.set(fh, made);
    file.size = made.data.length;
    // The kernel's size may be an older content's (a pinned node): grow it to this one.
    if (made.data.length > 0) this.notify(encodeNotifyStore(req.nodeid, BigInt(made.data.length - 1), made.data.subarray(made.data.length - 1)));
    // No FOPEN_KEEP_CACHE: the kernel drops the node's pages, reads fetch this open's content.
    if (!this.reply(req, encodeOpen(fh, 0))) {
      this.handles.delete(fh);
      this.give(this.handlesOf, made.owner);
    }
  }

  /** An unsolicited message to the kernel; ignored when it no longer has the node. */
  private notify(message: Buffer): void {
    try {
      writeSync(this.fd, message);
    } catch {
      // ENOENT: the node was forgotten meanwhile; nothing to size.
    }
  }

  /** The content `caller` gets for `entry`, made anew. */
  private async content(entry: Node, caller: FuseCaller): Promise<{ data: Buffer; owner: string }> {
    const c = await this.fs.open(entry.path, caller, entry.scope);
    return { data: Buffer.from(c.data), owner: c.owner ?? '' };
  }

  private forget(nodeid: bigint, n: bigint): void {
    const node = this.files.get(nodeid);
    if (!node) return;
    node.lookups -= n;
    if (node.lookups > 0n) return;
    this.files.delete(nodeid);
    this.give(this.nodesOf, node.owner);
  }
}

export class LinuxFuseService implements FuseService {
  async serve(target: string, fs: ServedFs, opts: { name: string; timeoutSec?: number }): Promise<FuseSession> {
    if (!/^[a-z][a-z0-9_-]*$/.test(opts.name)) throw vzError('BAD_VALUE', `FUSE filesystem name '${opts.name}'`);
    const fd = openSync('/dev/fuse', 'r+');
    const server = new FuseServer(fd, fs, opts.timeoutSec ?? 30);
    try {
      const uid = process.getuid?.() ?? 0;
      const gid = process.getgid?.() ?? 0;
      mount(opts.name, target, `fuse.${opts.name}`, MS.NOSUID | MS.NODEV | MS.NOEXEC | MS.RDONLY,
        `fd=${fd},rootmode=40000,user_id=${uid},group_id=${gid},allow_other,default_permissions`);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    const done = server.run().finally(() => closeSync(fd));
    return {
      target,
      done,
      async close() {
        try {
          umount2(target, MNT_DETACH);
        } catch {
          // Already gone (unmounted by someone else): the session ends all the same.
        }
        await done;
      },
    };
  }
}
