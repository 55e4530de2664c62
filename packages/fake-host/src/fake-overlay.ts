/**
 * Overlayfs in memory: the merged view of an upper directory over lower ones. Reads take
 * the upper file, else the first lower one; writes copy the file (and its parent
 * directories) up first; deletions of lower files leave whiteouts; a directory created
 * over a whited-out lower one is opaque. Renaming a directory that has lower content is
 * refused with EXDEV, as overlayfs does without redirect_dir.
 */
import { fault } from './fake-errors.js';
import { isWhiteout, type Accessor, type NodeInit, type NodeMeta, type Superblock, type Vnode } from './fake-vnode.js';

const WHITEOUT: NodeInit = { type: 'char', mode: 0, rdev: [0, 0] };

export class OvNode implements Vnode {
  constructor(
    readonly sb: Superblock,
    private readonly parent: OvNode | undefined,
    private readonly name: string,
    /** This entry in the upper layer (undefined until copied up). */
    public upper: Vnode | undefined,
    /** This entry in the lower layers, top first (several only for merged directories). */
    readonly lowers: Vnode[],
    /** Whether the overlay has an upper layer at all (read-only overlay otherwise). */
    private readonly writable: boolean,
  ) {}

  private get top(): Vnode {
    return (this.upper ?? this.lowers[0])!;
  }

  get type() {
    return this.top.type;
  }

  get opaque(): boolean {
    return this.top.opaque ?? false;
  }

  /** Where the entry lives now: copied up (or created) in the upper layer, or only in a lower one. */
  get origin(): 'upper' | 'lower' {
    return this.upper ? 'upper' : 'lower';
  }

  meta(): NodeMeta {
    return this.top.meta();
  }

  lookup(name: string, who: Accessor): OvNode | undefined {
    if (this.type !== 'dir') return undefined;
    let upper: Vnode | undefined;
    const lowers: Vnode[] = [];
    if (this.upper) {
      const u = this.upper.lookup(name, who);
      if (u) {
        if (isWhiteout(u)) return undefined;
        upper = u;
        if (u.type !== 'dir' || u.opaque) return new OvNode(this.sb, this, name, u, [], this.writable);
      }
    }
    if (!this.upper?.opaque) {
      for (const dir of this.lowers) {
        const c = dir.lookup(name, who);
        if (!c) continue;
        if (isWhiteout(c)) break;
        const first = !upper && lowers.length === 0;
        if (!first && c.type !== 'dir') break;
        lowers.push(c);
        if (c.type !== 'dir' || c.opaque) break;
      }
    }
    if (!upper && lowers.length === 0) return undefined;
    return new OvNode(this.sb, this, name, upper, lowers, this.writable);
  }

  list(who: Accessor): string[] {
    if (this.type !== 'dir') throw fault('ENOTDIR');
    const names = new Set<string>();
    if (this.upper) for (const n of this.upper.list(who)) names.add(n);
    if (!this.upper?.opaque) for (const l of this.lowers) for (const n of l.list(who)) names.add(n);
    return [...names].filter((n) => this.lookup(n, who) !== undefined).sort();
  }

  read(who: Accessor): Uint8Array {
    return this.top.read(who);
  }

  write(data: Uint8Array, append: boolean, who: Accessor): void {
    this.copyUp(who);
    this.upper!.write(data, append, who);
  }

  /** Makes this entry exist in the upper layer, copying parents and file content. */
  copyUp(who: Accessor): void {
    if (this.upper) return;
    if (!this.writable || !this.parent) throw fault('EROFS');
    this.parent.copyUp(who);
    const lower = this.lowers[0]!;
    const m = lower.meta();
    const init: NodeInit = { type: lower.type, mode: m.mode };
    if (lower.type === 'file') init.data = lower.read(who);
    if (lower.type === 'symlink') init.target = lower.readlink();
    if (m.rdev) init.rdev = m.rdev;
    this.upper = this.parent.upper!.create(this.name, init, who);
  }

  create(name: string, init: NodeInit, who: Accessor): Vnode {
    if (this.type !== 'dir') throw fault('ENOTDIR');
    if (this.lookup(name, who)) throw fault('EEXIST');
    this.copyUp(who);
    const upper = this.upper!;
    const old = upper.lookup(name, who);
    if (old && isWhiteout(old)) upper.unlink(name, who);
    const made = upper.create(name, init, who);
    // A new directory must not show the deleted lower directory's content through it.
    if (old && init.type === 'dir' && 'opaque' in made) (made as { opaque: boolean }).opaque = true;
    return this.lookup(name, who)!;
  }

  unlink(name: string, who: Accessor): void {
    const child = this.lookup(name, who);
    if (!child) throw fault('ENOENT');
    if (child.type === 'dir' && child.list(who).length > 0) throw fault('ENOTEMPTY');
    this.copyUp(who);
    if (child.upper) {
      if (child.type === 'dir') for (const n of child.upper.list(who)) child.upper.unlink(n, who); // only whiteouts remain
      this.upper!.unlink(name, who);
    }
    if (this.lowerHas(name, child, who)) this.upper!.create(name, WHITEOUT, who);
  }

  /**
   * Whether a lower layer has `name` below this directory: then a removal must leave a
   * whiteout. An upper file made over a whiteout does not list the lower it hides.
   */
  private lowerHas(name: string, child: OvNode, who: Accessor): boolean {
    if (child.lowers.length > 0) return true;
    if (this.upper?.opaque) return false;
    return this.lowers.some((l) => {
      const x = l.lookup(name, who);
      return x !== undefined && !isWhiteout(x);
    });
  }

  readlink(): string {
    return this.top.readlink();
  }

  chmod(mode: number): void {
    // Layers of an overlay are plain directories: reading them for copy-up needs no caller.
    this.copyUp({ pid: 0 });
    this.upper!.chmod(mode);
  }

  chown(uid: number, gid: number): void {
    this.copyUp({ pid: 0 });
    this.upper!.chown(uid, gid);
  }

  move(name: string, dir: Vnode, newName: string, who: Accessor): void {
    if (!(dir instanceof OvNode) || dir.sb !== this.sb) throw fault('EXDEV');
    const child = this.lookup(name, who);
    if (!child) throw fault('ENOENT');
    if (child.type === 'dir' && child.lowers.length > 0) throw fault('EXDEV');
    const dest = dir.lookup(newName, who);
    if (dest) {
      if (dest.type === 'dir' && child.type !== 'dir') throw fault('EISDIR');
      if (dest.type !== 'dir' && child.type === 'dir') throw fault('ENOTDIR');
      if (dest.type === 'dir' && dest.list(who).length > 0) throw fault('ENOTEMPTY');
    }
    child.copyUp(who);
    dir.copyUp(who);
    let hidLower = false;
    if (dest) {
      dir.unlink(newName, who);
      hidLower = dest.lowers.length > 0;
    }
    const left = dir.upper!.lookup(newName, who);
    if (left && isWhiteout(left)) dir.upper!.unlink(newName, who);
    this.upper!.move(name, dir.upper!, newName, who);
    if (hidLower && child.type === 'dir') {
      const moved = dir.upper!.lookup(newName, who);
      if (moved && 'opaque' in moved) (moved as { opaque: boolean }).opaque = true;
    }
    if (this.lowerHas(name, child, who)) this.upper!.create(name, WHITEOUT, who);
  }
}

/** The root of a new overlay: `upper` may be undefined for a read-only overlay. */
export function overlayRoot(sb: Superblock, upper: Vnode | undefined, lowers: Vnode[]): OvNode {
  return new OvNode(sb, undefined, '', upper, lowers, upper !== undefined);
}

/** Parses `lowerdir=a:b,upperdir=u,workdir=w` (other options are kept, not interpreted). */
export function parseOverlayData(data: string): { lower: string[]; upper?: string; work?: string } {
  const out: { lower: string[]; upper?: string; work?: string } = { lower: [] };
  for (const opt of data.split(',')) {
    const eq = opt.indexOf('=');
    if (eq < 0) continue;
    const key = opt.slice(0, eq);
    const value = opt.slice(eq + 1);
    if (key === 'lowerdir') out.lower = value.split(':').filter((s) => s !== '');
    else if (key === 'upperdir') out.upper = value;
    else if (key === 'workdir') out.work = value;
  }
  return out;
}
