/**
 * A mount namespace: its mount table and path resolution through it. Like the kernel,
 * a mount hangs on (parent mount, path), so a mount hidden by a later one over an
 * ancestor stays hidden; resolution follows symlinks (40 at most) and crosses into
 * whatever is mounted on each directory it passes.
 */
import type { MountEntry, MountFlag } from '@vzkit/core';
import { fault } from './fake-errors.js';
import { NsBase } from './fake-namespaces.js';
import { isUnder, joinPath, splitPath, type Accessor, type Superblock, type Vnode } from './fake-vnode.js';

/** Per-mount flags shown before the filesystem's own options. */
const SHOWN_FLAGS: MountFlag[] = ['nosuid', 'nodev', 'noexec', 'noatime', 'strictatime'];

export class Mount {
  propagation: 'private' | 'shared' | 'slave' | 'unbindable' = 'private';
  constructor(
    readonly id: number,
    /** undefined for the namespace's root mount. */
    public parent: Mount | undefined,
    /** Mount point as a path of this namespace. */
    public target: string,
    readonly root: Vnode,
    readonly sb: Superblock,
    public flags: Set<MountFlag>,
    /** Path of `root` inside its filesystem (mountinfo field 4; `/` unless a bind mount). */
    readonly fsPath: string,
  ) {}

  get readonly(): boolean {
    return this.flags.has('rdonly');
  }

  /** `rw,nosuid,relatime`: the flags of this mount, without the filesystem's options. */
  mountOptions(): string {
    const opts = [this.readonly ? 'ro' : 'rw', ...SHOWN_FLAGS.filter((f) => this.flags.has(f))];
    if (!this.flags.has('noatime') && !this.flags.has('strictatime')) opts.push('relatime');
    return opts.join(',');
  }

  entry(): MountEntry & { root: string } {
    const opts = [this.mountOptions()];
    if (this.sb.options) opts.push(this.sb.options);
    return {
      id: this.id,
      parent: this.parent?.id ?? this.id,
      target: this.target,
      fstype: this.sb.fstype,
      source: this.sb.source,
      options: opts.join(','),
      root: this.fsPath,
    };
  }
}

/** One step of a walk: where we are, what is there, and on which mount. */
export interface Walk {
  path: string;
  node: Vnode;
  mount: Mount;
}

export class MountNs extends NsBase {
  /** In mount order, so a parent always comes before its children. */
  mounts: Mount[] = [];
  /** Host-visible path this namespace's root was pivoted to (`/` until pivot_root). */
  rootPath = '/';

  constructor(inum: number, public root: Mount) {
    super('mnt', inum);
    this.mounts.push(root);
  }

  /** The topmost mount on `path` whose mount point is on `parent`. */
  childMount(parent: Mount, path: string): Mount | undefined {
    for (let i = this.mounts.length - 1; i >= 0; i--) {
      const m = this.mounts[i]!;
      if (m.parent === parent && m.target === path) return m;
    }
    return undefined;
  }

  children(m: Mount): Mount[] {
    return this.mounts.filter((c) => c.parent === m);
  }

  /** `m` and every mount below it, parents first. */
  subtree(m: Mount): Mount[] {
    const out = [m];
    for (let i = 0; i < out.length; i++) out.push(...this.children(out[i]!));
    return out;
  }

  /** Mounts (visible or not) whose mount point is at or below `path`. */
  mountsUnder(path: string): Mount[] {
    return this.mounts.filter((m) => m !== this.root && isUnder(m.target, path));
  }

  remove(ms: Mount[]): void {
    const gone = new Set(ms);
    this.mounts = this.mounts.filter((m) => !gone.has(m));
  }

  entries(): Array<MountEntry & { root: string }> {
    return this.mounts.map((m) => m.entry());
  }

  /** CLONE_NEWNS: the same filesystems under copied mounts with new ids. */
  clone(inum: number, nextId: () => number): MountNs {
    const map = new Map<Mount, Mount>();
    for (const m of this.mounts) {
      const c = new Mount(nextId(), m.parent ? map.get(m.parent) : undefined, m.target, m.root, m.sb, new Set(m.flags), m.fsPath);
      c.propagation = m.propagation;
      map.set(m, c);
    }
    const ns = new MountNs(inum, map.get(this.root)!);
    ns.mounts = this.mounts.map((m) => map.get(m)!);
    ns.rootPath = this.rootPath;
    return ns;
  }

  private cross(step: Walk): Walk {
    for (let m = this.childMount(step.mount, step.path); m; m = this.childMount(m, step.path)) {
      step = { path: step.path, node: m.root, mount: m };
    }
    return step;
  }

  rootWalk(): Walk {
    return this.cross({ path: '/', node: this.root.root, mount: this.root });
  }

  /** Resolves an absolute path; `follow` also follows a symlink in the last component. */
  walk(path: string, who: Accessor, follow = true): Walk {
    let stack: Walk[] = [this.rootWalk()];
    let parts = splitPath(path);
    let links = 0;
    while (parts.length > 0) {
      const name = parts.shift()!;
      const cur = stack[stack.length - 1]!;
      if (name === '..') {
        if (stack.length > 1) stack.pop();
        continue;
      }
      if (cur.node.type !== 'dir') throw fault('ENOTDIR');
      const child = cur.node.lookup(name, who);
      if (!child) throw fault('ENOENT');
      const step = this.cross({ path: joinPath(cur.path, name), node: child, mount: cur.mount });
      if (step.node.type === 'symlink' && (parts.length > 0 || follow)) {
        if (++links > 40) throw fault('ELOOP');
        const target = step.node.readlink();
        if (target.startsWith('/')) stack = [this.rootWalk()];
        parts = [...splitPath(target), ...parts];
        continue;
      }
      stack.push(step);
    }
    return stack[stack.length - 1]!;
  }

  /** The directory that holds `path` (symlinks followed) and the last name; `name` is '' for `/`. */
  walkParent(path: string, who: Accessor): { dir: Walk; name: string } {
    const parts = splitPath(path);
    const name = parts.pop() ?? '';
    const dir = this.walk(`/${parts.join('/')}`, who);
    if (name !== '' && dir.node.type !== 'dir') throw fault('ENOTDIR');
    return { dir, name };
  }

  /** What `dir/name` is (mounts crossed, the last symlink not followed), or undefined. */
  child(dir: Walk, name: string, who: Accessor): Walk | undefined {
    const node = dir.node.lookup(name, who);
    return node && this.cross({ path: joinPath(dir.path, name), node, mount: dir.mount });
  }

  /** The mount whose root `w` is, when `w` is a mount point of this namespace. */
  mountAt(w: Walk): Mount | undefined {
    return w.mount.target === w.path && w.node === w.mount.root ? w.mount : undefined;
  }
}
