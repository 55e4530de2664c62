/**
 * Template trees as compressed tarballs, made and read by the host's GNU tar: numeric
 * owners (the tree's uids are the guest's, not the host's names), extended attributes
 * (file capabilities such as ping's cap_net_raw) and ACLs are kept, device nodes are
 * archived as they are. Compression follows the file name where it names one; otherwise
 * zstd when the host has it (faster and smaller), else gzip.
 */
import { basename } from 'node:path';
import { isVzError, vzError, type Host } from '@vzkit/core';

export type Compression = 'zstd' | 'gzip' | 'xz' | 'bzip2' | 'none';

const EXTENSIONS: ReadonlyArray<[RegExp, Compression]> = [
  [/\.(tar\.zst|tzst)$/, 'zstd'],
  [/\.(tar\.gz|tgz)$/, 'gzip'],
  [/\.(tar\.xz|txz)$/, 'xz'],
  [/\.(tar\.bz2|tbz2?)$/, 'bzip2'],
  [/\.tar$/, 'none'],
];

const TAR_FLAG: Readonly<Record<Compression, string | undefined>> = {
  zstd: '--zstd', gzip: '--gzip', xz: '--xz', bzip2: '--bzip2', none: undefined,
};

/** The extension `vztmpl` gives a tarball of each compression. */
export const EXTENSION: Readonly<Record<'zstd' | 'gzip', string>> = { zstd: '.tar.zst', gzip: '.tar.gz' };

/** What keeps a root filesystem whole in both directions. */
const KEEP = ['--numeric-owner', '--xattrs', '--xattrs-include=*', '--acls'];

/** The compression a file name says (`.tar.zst`, `.tgz`, `.tar`); undefined when it says none. */
export function compressionOf(file: string): Compression | undefined {
  return EXTENSIONS.find(([re]) => re.test(file))?.[1];
}

/** The template name a tarball's file name suggests (`debian-12-x86_64.tar.gz` → `debian-12-x86_64`). */
export function templateNameOf(file: string): string | undefined {
  const name = basename(file);
  const ext = EXTENSIONS.find(([re]) => re.test(name))?.[0];
  return ext ? name.replace(ext, '') || undefined : undefined;
}

/** True when the host has `program` on PATH (it answers `--version`). */
export async function hasProgram(host: Host, program: string): Promise<boolean> {
  try {
    await host.processes.run([program, '--version']);
    return true;
  } catch (e) {
    if (isVzError(e) && e.errno === 'ENOENT') return false;
    throw e;
  }
}

/** zstd when the host has the program, else gzip (part of every Debian system). */
export async function defaultCompression(host: Host): Promise<'zstd' | 'gzip'> {
  return (await hasProgram(host, 'zstd')) ? 'zstd' : 'gzip';
}

/** The first line tar printed on stderr, for a one-line error. */
function tarComplaint(stderr: string, code: number): string {
  return stderr.split('\n').find((l) => l.trim() !== '')?.trim() ?? `tar exited with status ${code}`;
}

/** Writes the tree at `tree` into the tarball `file` (replaced if it exists). */
export async function packTree(host: Host, tree: string, file: string, compression: Compression): Promise<void> {
  const flag = TAR_FLAG[compression];
  const r = await host.processes.run(['tar', '--create', '--file', file, ...KEEP, '--sparse', ...(flag ? [flag] : []), '--directory', tree, '.']);
  if (r.code !== 0) throw vzError('SYSTEM', `cannot write ${file}: ${tarComplaint(r.stderr, r.code)}`, { path: file });
}

/**
 * Unpacks the tarball `file` into the existing directory `into`. The compression comes
 * from the name (so pipes work) or, for a regular file whose name says none, from tar's
 * own look at its first bytes. BAD_TEMPLATE when tar cannot read it.
 */
export async function unpackTarball(host: Host, file: string, into: string): Promise<void> {
  const flag = TAR_FLAG[compressionOf(file) ?? 'none'];
  const r = await host.processes.run([
    'tar', '--extract', '--file', file, ...KEEP, '--same-permissions', '--same-owner', ...(flag ? [flag] : []), '--directory', into,
  ]);
  if (r.code === 0) return;
  // A full disk is not a broken tarball: say so, and nobody builds a new one into the same full disk.
  if (/No space left on device|Wrote only \d+ of \d+ bytes/.test(r.stderr)) {
    throw vzError('NO_DISK_SPACE', `not enough disk space in ${into} to unpack ${file}`, { path: into, errno: 'ENOSPC' });
  }
  throw vzError('BAD_TEMPLATE', `${file} cannot be unpacked: ${tarComplaint(r.stderr, r.code)}`, { path: file });
}
