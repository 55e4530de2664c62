/**
 * FUSE in the fake kernel: `serve` mounts a `fuse.<name>` filesystem whose files the
 * serving process answers per open, for the process that opens them (its host pid and
 * host uid), as the kernel asks a real server. The session belongs to a process: when
 * it dies, every lookup, stat and read of the mount — and of its binds in VEs — fails
 * with ENOTCONN, as after a real server's death, until the mount is taken away.
 *
 * Only async reads (HostFs.readFile, and the commands a fake VE runs) reach the server:
 * the fake's synchronous read helpers cannot wait for it and fail with EIO.
 */
import type { FuseCaller, FuseService, FuseSession, ServedFs } from '@vzkit/core';
import { fault, kernelError, KernelFault, type Errno } from './fake-errors.js';
import type { FakeKernel } from './fake-kernel.js';
import { mountIn, umountIn } from './fake-mounts.js';
import type { FakeProcess } from './fake-process.js';
import { bytes, Superblock, type Accessor, type AsyncReadable, type NodeMeta, type Vnode } from './fake-vnode.js';

export class FuseSuperblock extends Superblock {
  /** False once the serving process died or the session was closed. */
  connected = true;
  /** Files opened through this filesystem, per path: what tests assert on (the server's view). */
  readonly opens: Array<{ path: string; pid: number }> = [];

  constructor(dev: number, name: string, readonly served: ServedFs, readonly k: FakeKernel) {
    super(dev, `fuse.${name}`, name, 'user_id=0,group_id=0,default_permissions,allow_other');
    this.root = this.tree(undefined);
  }

  /**
   * The tree of served entries: the top one, or scope `scope`'s copy (without the scopes
   * directory). The fake makes a copy for any name looked up there; the server's own
   * check of the scope is its `open`'s, which is what decides what a caller reads.
   */
  tree(scope: string | undefined): FuseNode {
    const dir = this.served.scopes?.dir;
    const nodes = new Map<string, FuseNode>([['', new FuseNode(this, '', 'dir', 0o555, scope, scope === undefined && dir === '')]]);
    for (const e of [...this.served.entries].sort((a, b) => a.path.split('/').length - b.path.split('/').length)) {
      if (scope !== undefined && dir !== undefined && (e.path === dir || e.path.startsWith(`${dir}/`))) continue;
      const cut = e.path.lastIndexOf('/');
      const parent = nodes.get(cut < 0 ? '' : e.path.slice(0, cut));
      if (!parent) throw new Error(`served file ${e.path}: its directory is not an entry`);
      const node = new FuseNode(this, e.path, e.type, e.mode, scope, scope === undefined && e.path === dir);
      parent.children.set(e.path.slice(cut + 1), node);
      nodes.set(e.path, node);
    }
    return nodes.get('')!;
  }
}

class FuseNode implements Vnode, AsyncReadable {
  readonly children = new Map<string, FuseNode>();

  constructor(
    readonly sb: FuseSuperblock, readonly path: string, readonly type: 'dir' | 'file', private readonly mode: number,
    readonly scope: string | undefined, private readonly scopes = false,
  ) {}

  private connected(): void {
    if (!this.sb.connected) throw fault('ENOTCONN');
  }

  meta(): NodeMeta {
    this.connected();
    return { mode: this.mode, size: 0, uid: 0, gid: 0 };
  }

  lookup(name: string): Vnode | undefined {
    this.connected();
    if (this.scopes) {
      let copy = this.children.get(name);
      if (!copy) this.children.set(name, (copy = this.sb.tree(name)));
      return copy;
    }
    return this.children.get(name);
  }

  list(): string[] {
    this.connected();
    if (this.type !== 'dir') throw fault('ENOTDIR');
    // The scopes are not listed: each is found by its name.
    return this.scopes ? [] : [...this.children.keys()].sort();
  }

  read(): Uint8Array {
    this.connected();
    throw fault(this.type === 'dir' ? 'EISDIR' : 'EIO');
  }

  async open(who: Accessor): Promise<Uint8Array> {
    this.connected();
    if (this.type === 'dir') throw fault('EISDIR');
    const caller = callerOf(this.sb.k, who);
    this.sb.opens.push({ path: this.path, pid: caller.pid });
    try {
      // The fake's read opens and closes at once: no handle stays held against openLimit.
      return bytes((await this.sb.served.open(this.path, caller, this.scope)).data);
    } catch (e) {
      const errno = (e as { errno?: unknown }).errno;
      throw fault(typeof errno === 'string' ? (errno as Errno) : 'EIO');
    } finally {
      // The server died while it made the content: the opener gets what a dead server gives.
      this.connected();
    }
  }

  write(): void {
    throw fault('EROFS');
  }

  create(): Vnode {
    throw fault('EROFS');
  }

  unlink(): void {
    throw fault('EROFS');
  }

  readlink(): string {
    throw fault('EINVAL');
  }

  chmod(): void {
    throw fault('EROFS');
  }

  chown(): void {
    throw fault('EROFS');
  }

  move(): void {
    throw fault('EROFS');
  }
}

/** The opener as the kernel names it to the server: host pid, host uid of its user namespace's root. */
function callerOf(k: FakeKernel, who: Accessor): FuseCaller {
  const p = k.processes.get(who.pid);
  const uid = p?.ns.user.uidMap?.find((m) => m.inside === 0)?.outside ?? 0;
  const gid = p?.ns.user.gidMap?.find((m) => m.inside === 0)?.outside ?? 0;
  return { pid: who.pid, uid, gid };
}

/** FuseService of one fake process: its sessions end when it dies. */
export class FakeFuse implements FuseService {
  constructor(private readonly k: FakeKernel, private readonly pid: number) {}

  async serve(target: string, served: ServedFs, opts: { name: string; timeoutSec?: number }): Promise<FuseSession> {
    const owner: FakeProcess | undefined = this.k.processes.get(this.pid);
    if (!owner?.alive) throw kernelError('SYSTEM', `serve ${target}`, 'ESRCH');
    const sb = new FuseSuperblock(this.k.anonDev(), opts.name, served, this.k);
    try {
      mountIn(this.k, this.k.self, { source: opts.name, target, fstype: sb.fstype, flags: ['rdonly', 'nosuid', 'nodev', 'noexec'] }, this.k.self, sb);
    } catch (e) {
      if (e instanceof KernelFault) throw kernelError('MOUNT_FAILED', `mount fuse.${opts.name} on ${target}`, e.errno, e.path ?? target);
      throw e;
    }
    let end!: () => void;
    const done = new Promise<void>((resolve) => (end = resolve));
    const disconnect = () => {
      sb.connected = false;
      end();
    };
    this.k.processes.onExit(this.pid, disconnect);
    return {
      target,
      done,
      close: async () => {
        try {
          umountIn(this.k, this.k.self, target, { detach: true });
        } catch {
          // Already unmounted.
        }
        disconnect();
      },
    };
  }
}
