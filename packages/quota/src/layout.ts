/**
 * Where the overlay's upper layer lives when the VE has a disk of its own mounted at
 * VE_PRIVATE/disk: VE_PRIVATE/fs and VE_PRIVATE/work become links to disk/fs and
 * disk/work. ns-fs keeps mounting VE_PRIVATE/fs and VE_PRIVATE/work and never needs to
 * know; the kernel resolves the links, so upper and work are on the one mount overlayfs
 * wants. A private area made before the VE had a disk has real directories there: their
 * files are copied onto the disk first, in an order a crash can resume.
 */
import { join } from 'node:path';
import type { Host } from '@vzkit/core';
import { quotaError } from './errors.js';
import { runTool } from './tools.js';

export const DISK_DIR = 'disk';
export const IMAGE_FILE = 'disk.img';

const LAYERS: ReadonlyArray<{ name: string; mode: number; keep: boolean }> = [
  // The VE's own files: moved onto the disk.
  { name: 'fs', mode: 0o755, keep: true },
  // Overlayfs' scratch space: nothing in it outlives a mount.
  { name: 'work', mode: 0o700, keep: false },
];

async function isEmptyDir(host: Host, path: string): Promise<boolean> {
  return (await host.fs.readdir(path)).length === 0;
}

/** Points VE_PRIVATE/fs and /work into the mounted disk, moving what a real directory held. */
export async function linkLayers(host: Host, priv: string, label: string): Promise<void> {
  const disk = join(priv, DISK_DIR);
  for (const layer of LAYERS) {
    const inDisk = join(disk, layer.name);
    const here = join(priv, layer.name);
    const moved = `${here}.moved`;
    const target = `${DISK_DIR}/${layer.name}`;
    const onDisk = await host.fs.stat(inDisk);
    if (!onDisk) {
      await host.fs.mkdir(inDisk, { mode: layer.mode });
      await host.fs.chmod(inDisk, layer.mode);
    }
    const st = await host.fs.stat(here);
    if (st?.type === 'symlink') {
      if ((await host.fs.readlink(here)) === target) continue;
      await host.fs.remove(here);
    } else if (st?.type === 'dir') {
      if (layer.keep && !(await isEmptyDir(host, here))) {
        // A private area from before the disk: its files go onto the disk (cp stops at ENOSPC).
        await runTool(host, ['cp', '-a', '--sparse=always', `${here}/.`, `${inDisk}/`], {
          what: `${label}: move ${here} onto its disk`, code: 'QUOTA_ON',
        });
      }
      await host.fs.chmod(inDisk, st.mode);
      // A user-namespaced VE's `/` belongs to its root, not the host's.
      await host.fs.chown(inDisk, st.uid, st.gid);
      await host.fs.rename(here, moved);
    } else if (st) {
      throw quotaError('QUOTA_ON', `${label}: ${here} is neither a directory nor a link`, { path: here });
    }
    await host.fs.symlink(target, here);
    if (await host.fs.exists(moved)) await host.fs.remove(moved, { recursive: true });
  }
}

/** The links and the mount point, for destroy (the disk itself is unmounted by then). */
export async function unlinkLayers(host: Host, priv: string): Promise<void> {
  for (const layer of LAYERS) {
    const here = join(priv, layer.name);
    if ((await host.fs.stat(here))?.type === 'symlink') await host.fs.remove(here);
    if (await host.fs.exists(`${here}.moved`)) await host.fs.remove(`${here}.moved`, { recursive: true });
  }
}
