/**
 * Files of a VE's own system edited from the host (/etc/hostname, /etc/resolv.conf),
 * through its root mounted on the host. The files belong to the guest: a symlink there
 * could point anywhere on the host, so only regular files under real directories are
 * read or written, never followed links.
 */
import { dirname } from 'node:path';
import { wrapError } from './errors.js';
import type { HostFs } from './host.js';

/** `<root>/<rel>` when every directory on the way is a real directory; undefined otherwise. */
async function guestPath(fs: HostFs, root: string, rel: string): Promise<string | undefined> {
  const parts = rel.split('/').filter(Boolean);
  let dir = root.replace(/\/+$/, '');
  for (const part of parts.slice(0, -1)) {
    dir = `${dir}/${part}`;
    if ((await fs.stat(dir))?.type !== 'dir') return undefined;
  }
  return `${dir}/${parts[parts.length - 1]}`;
}

/** The guest's file, or undefined when it is missing or not a regular file. */
export async function readGuestFile(fs: HostFs, root: string, rel: string): Promise<string | undefined> {
  const path = await guestPath(fs, root, rel);
  if (!path || (await fs.stat(path))?.type !== 'file') return undefined;
  return fs.readFile(path);
}

/**
 * Writes the guest's file when it is a regular file (or missing, with `create`) under
 * real directories; returns whether it was written.
 */
export async function writeGuestFile(fs: HostFs, root: string, rel: string, text: string, opts: { create?: boolean; mode?: number } = {}): Promise<boolean> {
  const path = await guestPath(fs, root, rel);
  if (!path) return false;
  const type = (await fs.stat(path))?.type;
  if (type === undefined ? !opts.create : type !== 'file') return false;
  try {
    await fs.writeFile(path, text, type === undefined ? { mode: opts.mode ?? 0o644 } : {});
    if (type === undefined) {
      // A new file belongs to whoever owns its directory: in a user-namespaced VE that is
      // the VE's root (a host uid such as 100000), not the host's root it would show as nobody.
      const dir = await fs.stat(dirname(path));
      if (dir && (dir.uid !== 0 || dir.gid !== 0)) await fs.chown(path, dir.uid, dir.gid);
    }
    if (opts.mode !== undefined) await fs.chmod(path, opts.mode);
  } catch (e) {
    throw wrapError(e, `cannot write ${path}`);
  }
  return true;
}
