/**
 * The VE's private area: VE_PRIVATE/fs is the overlay's upper layer (the VE's own files),
 * VE_PRIVATE/work its workdir. Both must live on one filesystem, which keeping them
 * side by side guarantees.
 */
import { dirname, join } from 'node:path';
import { vzError, type Host } from '@vzkit/core';

export function upperDir(priv: string): string {
  return join(priv, 'fs');
}

export function workDir(priv: string): string {
  return join(priv, 'work');
}

/** Mount point of the template's idmapped bind while a user-namespaced VE's root is mounted. */
export function idmappedDir(priv: string): string {
  return join(priv, 'template');
}

async function mkdirMode(host: Host, path: string, mode: number): Promise<void> {
  await host.fs.mkdir(path, { recursive: true });
  await host.fs.chmod(path, mode); // exact mode whatever the umask
}

/** Makes VE_PRIVATE (0700: the VE's files are nobody else's business), fs (0755: the VE's `/`) and work. Idempotent. */
export async function createPrivateArea(host: Host, priv: string): Promise<void> {
  await host.fs.mkdir(dirname(priv), { recursive: true });
  await mkdirMode(host, priv, 0o700);
  await mkdirMode(host, upperDir(priv), 0o755);
  await mkdirMode(host, workDir(priv), 0o700);
}

/**
 * Removes VE_PRIVATE, and VE_ROOT when it is an empty directory. Refuses while VE_ROOT
 * is still mounted: the overlay's upper layer would vanish under a live root. Idempotent.
 */
export async function removePrivateArea(host: Host, priv: string, root: string, label: string): Promise<void> {
  if (await host.mounts.isMountPoint(root)) {
    throw vzError('MOUNTED', `${label}: ${root} is still mounted; not removing ${priv}`, { about: label, path: root, hint: 'unmount it first' });
  }
  // HostFs.remove stops at mount points below, instead of deleting what is mounted there.
  if (await host.fs.exists(priv)) await host.fs.remove(priv, { recursive: true });
  const st = await host.fs.stat(root);
  if (st?.type === 'dir' && (await host.fs.readdir(root)).length === 0) await host.fs.remove(root);
}
