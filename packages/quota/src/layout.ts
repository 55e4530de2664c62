/**
 * Where the overlay's upper layer lives when the VE has a disk of its own mounted at
 * VE_PRIVATE/disk: VE_PRIVATE/fs and VE_PRIVATE/work become links to disk/fs and
 * disk/work. ns-fs keeps mounting VE_PRIVATE/fs and VE_PRIVATE/work and never needs to
 * know; the kernel resolves the links, so upper and work are on the one mount overlayfs
 * wants.
 *
 * The VE's files move onto a disk (a VE given a quota after create) and off it again (its
 * quota removed) in steps that each leave a state of their own, so that a step killed
 * midway is finished or undone by whoever looks next, from the files alone:
 * - onto: copy fs into `disk/fs.partial`, rename it `disk/fs` (complete), rename fs
 *   `fs.moved`, link fs, remove `fs.moved`;
 * - off: copy `disk/fs` into `fs.partial`, rename it `fs.off` (complete), and once the
 *   record is gone (quota.json: the commit, convert.ts) replace the link with `fs.off`.
 */
import { join } from 'node:path';
import type { FileStat, Host } from '@vzkit/core';
import { copyTree, syncFs } from './copy.js';
import { quotaError } from './errors.js';

export const DISK_DIR = 'disk';
export const IMAGE_FILE = 'disk.img';
/** A copy being made: never complete, removed when found. */
export const PARTIAL = '.partial';
/** The original once its copy on the disk is complete: removed when found. */
export const MOVED = '.moved';
/** The complete copy of the VE's files off its disk, waiting for the disk to go. */
export const OFF = '.off';

const LAYERS: ReadonlyArray<{ name: string; mode: number; keep: boolean }> = [
  // The VE's own files: moved onto the disk.
  { name: 'fs', mode: 0o755, keep: true },
  // Overlayfs' scratch space: nothing in it outlives a mount.
  { name: 'work', mode: 0o700, keep: false },
];

/** The upper layer, whatever VE_PRIVATE/fs is now (a directory or a link to the disk). */
export const UPPER = LAYERS[0]!.name;

/**
 * Whether an entry of VE_PRIVATE named `name` is one a disk or a conversion leaves
 * (`record`: the record's name); a private area without any has nothing to settle.
 */
export function leftByQuota(name: string, record: string): boolean {
  return name === DISK_DIR || name === IMAGE_FILE || name === record || name.endsWith(PARTIAL) || name.endsWith(MOVED) || name.endsWith(OFF);
}

async function makeDir(host: Host, path: string, mode: number): Promise<void> {
  await host.fs.mkdir(path, { mode });
  await host.fs.chmod(path, mode);
}

/** `from`'s files and attributes into `to`, through `to.partial`: `to` exists only complete. */
async function copyComplete(host: Host, from: string, to: string, what: string, code: 'QUOTA_ON' | 'QUOTA_INIT' | 'QUOTA_OFF', about?: string): Promise<void> {
  const partial = `${to}${PARTIAL}`;
  if (await host.fs.exists(partial)) await host.fs.remove(partial, { recursive: true });
  await makeDir(host, partial, 0o700);
  await copyTree(host, from, partial, what, code, about);
  // On disk before the name says complete: the original goes after that.
  await syncFs(host, partial, what, code, about);
  await host.fs.rename(partial, to);
}

/**
 * Points VE_PRIVATE/fs and /work into the mounted disk. A real fs directory (a VE given
 * its disk after create, or a new private area) is copied onto the disk first; every
 * step can be killed and run again.
 */
export async function linkLayers(host: Host, priv: string, label: string): Promise<void> {
  const disk = join(priv, DISK_DIR);
  for (const layer of LAYERS) {
    const inDisk = join(disk, layer.name);
    const here = join(priv, layer.name);
    const moved = `${here}${MOVED}`;
    const target = `${DISK_DIR}/${layer.name}`;
    let st: FileStat | undefined = await host.fs.stat(here);
    if (st?.type === 'symlink' && (await host.fs.readlink(here)) === target) {
      if (!(await host.fs.exists(inDisk))) await makeDir(host, inDisk, layer.mode);
      if (await host.fs.exists(moved)) await host.fs.remove(moved, { recursive: true });
      continue;
    }
    if (st?.type === 'symlink') {
      await host.fs.remove(here);
      st = undefined;
    } else if (st && st.type !== 'dir') {
      throw quotaError('QUOTA_ON', `${label}: ${here} is neither a directory nor a link`, { about: label, path: here });
    }
    if (st) {
      if (layer.keep) await copyOnto(host, priv, label);
      else if (!(await host.fs.exists(inDisk))) await makeDir(host, inDisk, layer.mode);
      await host.fs.chmod(inDisk, st.mode);
      // A user-namespaced VE's `/` belongs to its root, not the host's.
      await host.fs.chown(inDisk, st.uid, st.gid);
      await host.fs.rename(here, moved);
    } else if (!(await host.fs.exists(inDisk))) {
      // Killed between the rename and the link, the copy is complete; otherwise a new area.
      await makeDir(host, inDisk, layer.mode);
    }
    await host.fs.symlink(target, here);
    if (await host.fs.exists(moved)) await host.fs.remove(moved, { recursive: true });
  }
}

/**
 * VE_PRIVATE/fs (a real directory) onto the mounted disk as disk/fs, complete or not at
 * all; nothing to do once disk/fs exists. A new private area's empty fs needs no copy
 * (the first start of every VE made with a quota).
 */
export async function copyOnto(host: Host, priv: string, label: string, code: 'QUOTA_ON' | 'QUOTA_INIT' = 'QUOTA_ON'): Promise<void> {
  const here = join(priv, UPPER);
  const inDisk = join(priv, DISK_DIR, UPPER);
  if (await host.fs.exists(inDisk)) return;
  if ((await host.fs.readdir(here)).length === 0) await makeDir(host, inDisk, 0o755);
  else await copyComplete(host, here, inDisk, `${label}: move ${here} onto its disk`, code, label);
}

/**
 * An original renamed aside (`.moved`) whose link was never made goes back to its name
 * (its copy on the disk is complete too, so whichever way the conversion goes on, nothing
 * is lost); one whose link was made goes.
 */
export async function restoreMoved(host: Host, priv: string): Promise<void> {
  for (const layer of LAYERS) {
    const here = join(priv, layer.name);
    const moved = `${here}${MOVED}`;
    if (!(await host.fs.exists(moved))) continue;
    const st = await host.fs.stat(here);
    // Linked: the copy on the disk was complete before the link was made.
    if (st?.type === 'symlink') await host.fs.remove(moved, { recursive: true });
    else if (!st) await host.fs.rename(moved, here);
  }
}

/** The VE's files copied off its mounted disk: VE_PRIVATE/fs.off once complete. */
export async function copyOff(host: Host, priv: string, label: string): Promise<void> {
  const off = join(priv, `${UPPER}${OFF}`);
  if (await host.fs.exists(off)) return;
  await copyComplete(host, join(priv, DISK_DIR, UPPER), off, `${label}: move the VE's files off its disk`, 'QUOTA_OFF', label);
}

/** Whether the complete copy off the disk is there. */
export async function hasCopyOff(host: Host, priv: string): Promise<boolean> {
  return host.fs.exists(join(priv, `${UPPER}${OFF}`));
}

/**
 * After the record is gone: VE_PRIVATE/fs and /work real directories again, fs from
 * `fs.off`. Idempotent.
 */
export async function unlinkOff(host: Host, priv: string, label: string): Promise<void> {
  for (const layer of LAYERS) {
    const here = join(priv, layer.name);
    const st = await host.fs.stat(here);
    if (layer.keep) {
      const off = `${here}${OFF}`;
      if (!(await host.fs.exists(off))) continue;
      if (st?.type === 'dir') throw quotaError('QUOTA_OFF', `${label}: both ${here} and ${off} are directories: keep the one with the VE's files and remove the other`, { about: label, path: here });
      if (st) await host.fs.remove(here);
      await host.fs.rename(off, here);
    } else {
      if (st?.type === 'symlink') await host.fs.remove(here);
      if (st?.type !== 'dir') await makeDir(host, here, layer.mode);
    }
  }
}

/** Whether VE_PRIVATE/fs points into the disk. */
export async function layersLinked(host: Host, priv: string): Promise<boolean> {
  return (await host.fs.stat(join(priv, UPPER)))?.type === 'symlink';
}

/** Copies in progress, found after a kill: never complete, so they go. */
export async function removePartials(host: Host, priv: string): Promise<void> {
  const partial = join(priv, `${UPPER}${PARTIAL}`);
  if (await host.fs.exists(partial)) await host.fs.remove(partial, { recursive: true });
}

/** The copy off the disk of a conversion back that did not reach its commit. */
export async function removeCopyOff(host: Host, priv: string): Promise<void> {
  await removePartials(host, priv);
  const off = join(priv, `${UPPER}${OFF}`);
  if (await host.fs.exists(off)) await host.fs.remove(off, { recursive: true });
}

/** The links and the mount point, for destroy (the disk itself is unmounted by then). */
export async function unlinkLayers(host: Host, priv: string): Promise<void> {
  for (const layer of LAYERS) {
    const here = join(priv, layer.name);
    if ((await host.fs.stat(here))?.type === 'symlink') await host.fs.remove(here);
    for (const left of [MOVED, OFF, PARTIAL]) if (await host.fs.exists(`${here}${left}`)) await host.fs.remove(`${here}${left}`, { recursive: true });
  }
}
