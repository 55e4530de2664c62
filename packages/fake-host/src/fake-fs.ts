/**
 * HostFs of the fake kernel: files as one process sees them (the caller's for
 * `fake.fs`, a VE's for `fake.fsOf(pid)`), plus synchronous helpers tests use to seed
 * and inspect the tree.
 */
import type { BlockDevice, FileStat, FsStats, HostFs } from '@vzkit/core';
import { FsSyscalls } from './fake-fs-ops.js';
import { decoder, parentOf } from './fake-vnode.js';

export class FakeFs extends FsSyscalls implements HostFs {
  async exists(path: string): Promise<boolean> {
    return this.existsSync(path);
  }

  async stat(path: string): Promise<FileStat | undefined> {
    return this.statSync(path);
  }

  async readFile(path: string): Promise<string> {
    return decoder.decode(await this.readAsync(path));
  }

  async writeFile(path: string, data: string | Uint8Array, opts?: { mode?: number; append?: boolean; exclusive?: boolean }): Promise<void> {
    this.writeSync(path, data, opts);
  }

  async writeRunFile(path: string, data: string): Promise<void> {
    this.writeSync(path, data);
  }

  async mkdir(path: string, opts?: { mode?: number; recursive?: boolean }): Promise<void> {
    this.mkdirSync(path, opts);
  }

  async readdir(path: string): Promise<string[]> {
    return this.readdirSync(path);
  }

  async symlink(target: string, path: string): Promise<void> {
    this.symlinkSync(target, path);
  }

  async readlink(path: string): Promise<string> {
    return this.readlinkSync(path);
  }

  async copyFile(src: string, dst: string, opts?: { mode?: number }): Promise<void> {
    this.copySync(src, dst, opts);
  }

  async rename(from: string, to: string): Promise<void> {
    this.renameSync(from, to);
  }

  async chmod(path: string, mode: number): Promise<void> {
    this.chmodSync(path, mode);
  }

  async chown(path: string, uid: number, gid: number): Promise<void> {
    this.chownSync(path, uid, gid);
  }

  async listXattrs(path: string): Promise<string[]> {
    return this.listXattrsSync(path);
  }

  async getXattr(path: string, name: string): Promise<Uint8Array | undefined> {
    return this.getXattrSync(path, name);
  }

  async setXattr(path: string, name: string, value: Uint8Array): Promise<void> {
    this.setXattrSync(path, name, value);
  }

  async remove(path: string, opts?: { recursive?: boolean }): Promise<void> {
    this.removeSync(path, opts);
  }

  async statfs(path: string): Promise<FsStats> {
    return this.statfsSync(path);
  }

  async truncate(path: string, size: number): Promise<void> {
    this.truncateSync(path, size);
  }

  async disks(path: string): Promise<BlockDevice[]> {
    return this.disksSync(path);
  }

  // --- test helpers ----------------------------------------------------------------

  /** Writes a file, creating missing parent directories; mode 0644 unless given. */
  seed(path: string, content: string | Uint8Array = '', opts: { mode?: number } = {}): this {
    const abs = this.abs(path);
    this.mkdirSync(parentOf(abs), { recursive: true });
    this.writeSync(abs, content);
    this.chmodSync(abs, opts.mode ?? 0o644);
    return this;
  }

  /** Creates a directory and its parents. */
  seedDir(path: string, mode = 0o755): this {
    this.mkdirSync(path, { recursive: true });
    this.chmodSync(path, mode);
    return this;
  }

  /** Creates a symlink, and the directories above it. */
  seedLink(path: string, target: string): this {
    const abs = this.abs(path);
    this.mkdirSync(parentOf(abs), { recursive: true });
    this.symlinkSync(target, abs);
    return this;
  }

  /** Creates a FIFO (or a socket), and the directories above it. */
  seedFifo(path: string, type: 'fifo' | 'socket' = 'fifo'): this {
    const abs = this.abs(path);
    this.mkdirSync(parentOf(abs), { recursive: true });
    this.mkfifoSync(abs, 0o644, type);
    return this;
  }

  /** The content of a file as text (symlinks followed, mounts crossed). */
  read(path: string): string {
    return decoder.decode(this.readSync(path));
  }
}
