/**
 * HostFs over node:fs/promises. Every failure is a VzError carrying errno and path.
 */
import * as fsp from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join } from 'node:path';
import { vzError, type FileStat, type HostFs } from '@vzkit/core';
import { errnoCode, nodeFsError } from './errno.js';
import { canonicalPath, isUnder, readMountInfo } from './mounts.js';

function fileType(st: Stats): FileStat['type'] {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  if (st.isFIFO()) return 'fifo';
  return 'socket';
}

/** Runs a node:fs call, turning its error into a VzError that names the operation and path. */
async function attempt<T>(what: string, path: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw nodeFsError(e, `${what} ${path}`, path);
  }
}

function mountedError(path: string, mountPoint: string) {
  return vzError('MOUNTED', `remove ${path}: ${mountPoint} is a mount point`, {
    errno: 'EBUSY',
    path: mountPoint,
    hint: 'unmount it first',
  });
}

export class LinuxHostFs implements HostFs {
  async exists(path: string): Promise<boolean> {
    return (await this.stat(path)) !== undefined;
  }

  /** lstat: a symlink is reported as itself. Undefined when the path does not exist. */
  async stat(path: string): Promise<FileStat | undefined> {
    let st: Stats;
    try {
      st = await fsp.lstat(path);
    } catch (e) {
      if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ENOTDIR') return undefined;
      throw nodeFsError(e, `stat ${path}`, path);
    }
    return { type: fileType(st), mode: st.mode & 0o7777, size: st.size, uid: st.uid, gid: st.gid, dev: st.dev };
  }

  readFile(path: string): Promise<string> {
    return attempt('read', path, () => fsp.readFile(path, 'utf8'));
  }

  writeFile(path: string, data: string | Uint8Array, opts: { mode?: number; append?: boolean } = {}): Promise<void> {
    return attempt('write', path, () =>
      fsp.writeFile(path, data, { flag: opts.append ? 'a' : 'w', ...(opts.mode !== undefined ? { mode: opts.mode } : {}) }),
    );
  }

  async mkdir(path: string, opts: { mode?: number; recursive?: boolean } = {}): Promise<void> {
    await attempt('mkdir', path, () => fsp.mkdir(path, { recursive: opts.recursive ?? false, ...(opts.mode !== undefined ? { mode: opts.mode } : {}) }));
  }

  readdir(path: string): Promise<string[]> {
    return attempt('readdir', path, () => fsp.readdir(path));
  }

  symlink(target: string, path: string): Promise<void> {
    return attempt('symlink', path, () => fsp.symlink(target, path));
  }

  readlink(path: string): Promise<string> {
    return attempt('readlink', path, () => fsp.readlink(path));
  }

  async copyFile(src: string, dst: string, opts: { mode?: number } = {}): Promise<void> {
    await attempt('copy', `${src} to ${dst}`, () => fsp.copyFile(src, dst));
    if (opts.mode !== undefined) await this.chmod(dst, opts.mode);
  }

  rename(from: string, to: string): Promise<void> {
    return attempt('rename', `${from} to ${to}`, () => fsp.rename(from, to));
  }

  chmod(path: string, mode: number): Promise<void> {
    return attempt('chmod', path, () => fsp.chmod(path, mode));
  }

  /**
   * Like `rm -f` (a missing path is not an error) and, with recursive, `rm -rf` that never
   * crosses a mount point: one listed in the mount table at or below the path, or a
   * directory on another device met on the way, fails with EBUSY before anything under it
   * is deleted.
   */
  async remove(path: string, opts: { recursive?: boolean } = {}): Promise<void> {
    const st = await this.stat(path);
    if (!st) return;
    if (st.type !== 'dir') return attempt('remove', path, () => fsp.unlink(path));
    if (!opts.recursive) return attempt('remove', path, () => fsp.rmdir(path));
    const top = await canonicalPath(path);
    const mounted = (await readMountInfo()).find((e) => isUnder(e.target, top));
    if (mounted) throw mountedError(path, mounted.target);
    await this.removeTree(path, st.dev, path);
  }

  private async removeTree(dir: string, dev: number, top: string): Promise<void> {
    for (const name of await this.readdir(dir)) {
      const child = join(dir, name);
      const st = await this.stat(child);
      if (!st) continue;
      if (st.type !== 'dir') {
        await attempt('remove', child, () => fsp.unlink(child));
        continue;
      }
      if (st.dev !== dev) throw mountedError(top, child);
      await this.removeTree(child, dev, top);
    }
    await attempt('remove', dir, () => fsp.rmdir(dir));
  }
}
