/**
 * The host programs behind an archive: GNU tar walks and rebuilds the VE's files (it
 * knows every kind of file, sparse ones, ACLs and extended attributes), zstd compresses.
 * Both are Debian's (tar, zstd); vzkit passes their streams through itself to hash them.
 */
import { isVzError, vzError, type Host, type RunOptions, type RunResult } from '@vzkit/core';
import { PRIVATE_MEMBER } from './format.js';

/** What keeps a VE's files whole both ways (as the template plugin's tarballs). */
const KEEP = ['--numeric-owner', '--xattrs', '--xattrs-include=*', '--acls', '--sparse'];

/** tar's arguments to write the VE's files at `upper` as members under `private/fs`. */
export function tarCreateArgs(upper: string): string[] {
  return [
    'tar', '--create', '--file=-', '--format=posix', ...KEEP, '--one-file-system',
    // Sockets are not archived (a socket is a live thing, remade by whoever listens); tar skips them.
    '--warning=no-file-ignored',
    `--transform=flags=rh;s,^\\.,${PRIVATE_MEMBER},`, '--directory', upper, '.',
  ];
}

/** tar's arguments to unpack an archive's `private/fs` into `into`. */
export function tarExtractArgs(into: string): string[] {
  return [
    'tar', '--extract', '--file=-', ...KEEP, '--same-permissions', '--same-owner',
    `--transform=flags=rh;s,^${PRIVATE_MEMBER},.,`, '--directory', into, PRIVATE_MEMBER,
  ];
}

/** zstd compressing its input to its output (vzkit writes the file: made by it, 0600, never followed). */
export function zstdCompressArgs(): string[] {
  return ['zstd', '-q', '-c'];
}

/** zstd writing `file` decompressed to its output; its frame checksums are checked on the way. */
export function zstdDecompressArgs(file: string): string[] {
  return ['zstd', '-d', '-c', '-q', file];
}

/** The first line a program printed on stderr, for a one-line error. */
export function complaint(r: RunResult, program: string): string {
  return r.stderr.split('\n').find((l) => l.trim() !== '')?.trim() ?? `${program} exited with status ${r.code}`;
}

/** True when a program's complaint is a full disk. */
export function noSpace(text: string): boolean {
  return /No space left on device|Disk quota exceeded|Wrote only \d+ of \d+ bytes/.test(text);
}

/** Runs a program; a missing one is UNSUPPORTED with the package that has it. */
export async function runProgram(host: Host, argv: string[], opts: RunOptions): Promise<RunResult> {
  try {
    return await host.processes.run(argv, opts);
  } catch (e) {
    if (isVzError(e) && e.errno === 'ENOENT' && e.message.includes(argv[0]!)) {
      throw vzError('UNSUPPORTED', `${argv[0]} is not installed on this host; backups need it`, { hint: `apt-get install ${argv[0]}`, cause: e });
    }
    throw e;
  }
}
