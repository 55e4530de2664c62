/**
 * GuestFs of the fake kernel, resolved the way LinuxHost's openat2 does: beneath the
 * root's directory one component at a time, refusing a symlink anywhere and any mount
 * crossed; the type is checked before the content is touched; a write makes a new file
 * beside the old one and renames it over, so a replaced file is a new inode (as on
 * Linux) with the old one's owner and mode. The refusals are core's `guestRefusal`, the
 * same the real host gives.
 */
import { GUEST_READ_LIMIT, guestPathParts, guestRefusal, type FileStat, type GuestFs } from '@vzkit/core';
import { fault, KernelFault } from './fake-errors.js';
import { FsSyscalls } from './fake-fs-ops.js';
import type { Walk } from './fake-mount-table.js';
import { bytes, decoder, joinPath } from './fake-vnode.js';

/** A guest path resolved up to its directory: the directory, and what the last name is (if anything). */
interface Resolved {
  dir: Walk;
  name: string;
  entry: Walk | undefined;
}

let tmpCount = 0;

export class FakeGuestFs extends FsSyscalls implements GuestFs {
  async stat(root: string, rel: string): Promise<FileStat | undefined> {
    const r = this.resolve(root, rel, 'stat');
    if (!r?.entry) return undefined;
    const m = r.entry.node.meta();
    return { type: r.entry.node.type, mode: m.mode, size: m.size, uid: m.uid, gid: m.gid, dev: r.entry.node.sb.dev };
  }

  async read(root: string, rel: string, opts: { maxBytes?: number } = {}): Promise<string | undefined> {
    const r = this.resolve(root, rel, 'open', 'guest.read');
    if (!r?.entry) return undefined;
    const node = r.entry.node;
    if (node.type !== 'file') throw this.notFile(rel, node.type);
    const max = opts.maxBytes ?? GUEST_READ_LIMIT;
    if (node.meta().size > max) throw guestRefusal.size(rel, max);
    return decoder.decode(node.read(this.proc));
  }

  async write(root: string, rel: string, data: string | Uint8Array, opts: { create?: boolean; mode?: number } = {}): Promise<boolean> {
    const r = this.resolve(root, rel, 'open', 'guest.write');
    if (!r) return false;
    const { dir, name, entry } = r;
    if (entry && entry.node.type !== 'file') throw this.notFile(rel, entry.node.type);
    if (!entry && !opts.create) return false;
    const was = entry?.node.meta() ?? { ...dir.node.meta(), mode: 0o644 };
    const mode = (opts.mode ?? was.mode) & 0o777;
    const tmp = `.vzkit-${name}.${process.pid}-${++tmpCount}`;
    const path = joinPath(dir.path, name);
    this.sys('open', path, () => {
      if (dir.mount.readonly) throw fault('EROFS');
      const made = dir.node.create(tmp, { type: 'file', mode: 0o600, data: bytes(data) }, this.proc);
      try {
        made.chown(was.uid, was.gid);
        made.chmod(mode);
        dir.node.move(tmp, dir.node, name, this.proc);
      } catch (e) {
        dir.node.unlink(tmp, this.proc);
        throw e instanceof KernelFault && e.errno === 'EISDIR' ? guestRefusal.type(rel, 'dir') : e;
      }
    });
    return true;
  }

  private notFile(rel: string, type: FileStat['type']) {
    return type === 'symlink' ? guestRefusal.symlink(rel) : guestRefusal.type(rel, type);
  }

  /**
   * `rel` beneath `root`: undefined when the root or a directory on the way is missing. The root
   * itself is the caller's (symlinks in it followed, like open(2) of VE_ROOT); below it
   * nothing is followed and nothing crossed.
   */
  private resolve(root: string, rel: string, syscall: string, target?: 'guest.read' | 'guest.write'): Resolved | undefined {
    const parts = guestPathParts(rel);
    const name = parts.pop()!;
    const abs = this.abs(root);
    return this.sys(syscall, joinPath(abs, rel), () => {
      let dir: Walk;
      try {
        dir = this.ns.walk(abs, this.proc);
      } catch (e) {
        if (e instanceof KernelFault && e.errno === 'ENOENT') return undefined;
        throw e;
      }
      if (dir.node.type !== 'dir') throw fault('ENOTDIR');
      for (const part of parts) {
        const next = this.step(dir, part, rel);
        if (!next) return undefined;
        if (next.node.type === 'symlink') throw guestRefusal.symlinkOnPath(rel);
        if (next.node.type !== 'dir') throw guestRefusal.notDirOnPath(rel);
        dir = next;
      }
      return { dir, name, entry: this.step(dir, name, rel) };
    }, target);
  }

  private step(dir: Walk, name: string, rel: string): Walk | undefined {
    const next = this.ns.child(dir, name, this.proc);
    if (next && next.mount !== dir.mount) throw guestRefusal.mountOnPath(rel);
    return next;
  }
}
