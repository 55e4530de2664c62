/**
 * A VE's own files edited from the host (/etc/hostname, /etc/hosts, /etc/resolv.conf,
 * ssh host keys). vzkit does this as the host's root while the VE's root may be racing
 * it, so every access goes through the Host's {@link GuestFs} service, which resolves the
 * path beneath the VE root on one descriptor; these are the thin, VE-aware wrappers
 * plugins use (they name the CT in what they report), and the refusals both Host
 * implementations share.
 */
import { isVzError, vzError, wrapError, type VzError } from './errors.js';
import type { FileStat, GuestFs } from './host.js';
import type { Logger } from './plugin.js';

/** What the wrappers need of a hook's context. */
export interface GuestCtx {
  readonly host: { readonly guestFs: GuestFs };
  readonly ve: { readonly label: string; readonly paths: { readonly root: string } };
}

/**
 * The components of a guest path (`etc/ssh/sshd_config`). A path that is absolute,
 * empty or climbs with `..` is a bug in vzkit, never the guest's doing: it is refused
 * before anything is opened.
 */
export function guestPathParts(rel: string): string[] {
  const parts = rel.split('/').filter((p) => p !== '' && p !== '.');
  if (rel.startsWith('/') || parts.length === 0 || parts.includes('..')) {
    throw vzError('SYSTEM', `internal error: '${rel}' is not a path inside a VE (relative, without '..')`);
  }
  return parts;
}

const TYPE_NAMES: Record<FileStat['type'], string> = {
  file: 'regular file', dir: 'directory', symlink: 'symbolic link', char: 'character device',
  block: 'block device', fifo: 'FIFO', socket: 'socket',
};

function refusal(rel: string, why: string, errno: string): VzError {
  const path = `/${guestPathParts(rel).join('/')}`;
  return vzError('GUEST_FILE', `${path} ${why}`, { errno, path });
}

/**
 * The refusals of {@link GuestFs}, worded once for LinuxHost and FakeHost: each names
 * the file as the guest sees it and what is wrong with it.
 */
export const guestRefusal = {
  symlink: (rel: string) => refusal(rel, 'is a symbolic link, which vzkit does not follow', 'ELOOP'),
  symlinkOnPath: (rel: string) => refusal(rel, 'has a symbolic link on its path, which vzkit does not follow', 'ELOOP'),
  mountOnPath: (rel: string) => refusal(rel, 'is reached across a mount point, which vzkit does not cross', 'EXDEV'),
  notDirOnPath: (rel: string) => refusal(rel, 'has a component on its path that is not a directory', 'ENOTDIR'),
  type: (rel: string, type: FileStat['type']) => refusal(rel, `is a ${TYPE_NAMES[type]}, not a regular file`, type === 'dir' ? 'EISDIR' : 'EINVAL'),
  size: (rel: string, max: number) => refusal(rel, `is larger than ${max} bytes, the most vzkit reads of a guest file`, 'EFBIG'),
};

/** True for a refusal of {@link GuestFs}: the guest's tree made the access unsafe, nothing was done. */
export function isGuestFileRefusal(e: unknown): e is VzError {
  return isVzError(e) && e.code === 'GUEST_FILE';
}

async function inVe<T>(ctx: GuestCtx, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw wrapError(e, isGuestFileRefusal(e) ? ctx.ve.label : `${ctx.ve.label}: ${what}`, { about: ctx.ve.label });
  }
}

/** The entry at `rel` inside the VE's root (a last symlink as itself); undefined when missing. */
export function statGuestFile(ctx: GuestCtx, rel: string): Promise<FileStat | undefined> {
  return inVe(ctx, `stat /${rel}`, () => ctx.host.guestFs.stat(ctx.ve.paths.root, rel));
}

/** The VE's regular file `rel` (bounded by `maxBytes`); undefined when missing. */
export function readGuestFile(ctx: GuestCtx, rel: string, opts: { maxBytes?: number } = {}): Promise<string | undefined> {
  return inVe(ctx, `read /${rel}`, () => ctx.host.guestFs.read(ctx.ve.paths.root, rel, opts));
}

/**
 * Replaces (or with `create` makes) the VE's regular file `rel`; false when it is missing
 * without `create`, or its directory is. See {@link GuestFs.write} for owners and modes.
 */
export function writeGuestFile(ctx: GuestCtx, rel: string, text: string | Uint8Array, opts: { create?: boolean; mode?: number } = {}): Promise<boolean> {
  return inVe(ctx, `write /${rel}`, () => ctx.host.guestFs.write(ctx.ve.paths.root, rel, text, opts));
}

/**
 * Runs an edit of guest files; when the guest's tree makes it unsafe, says so in one
 * warning (`CT 101 [distro]: /etc/hosts is a symbolic link, ...; <consequence>`) and resolves
 * false instead of failing the operation: the VE broke its own file, and the host's
 * setting (the hostname, the VE's config) still holds. Other failures are thrown.
 */
export async function skipIfRefused(ctx: GuestCtx & { readonly log: Logger }, consequence: string, edit: () => Promise<unknown>): Promise<boolean> {
  try {
    await edit();
    return true;
  } catch (e) {
    if (!isGuestFileRefusal(e)) throw e;
    // The hook's logger names the CT already: the refusal's own words, without the label.
    let own: VzError = e;
    while (isGuestFileRefusal(own.cause)) own = own.cause;
    ctx.log.warn(`${own.message}; ${consequence}`);
    return false;
  }
}
