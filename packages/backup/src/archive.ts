/**
 * Writing, checking and unpacking archives. Each is a pipeline of host programs with
 * vzkit in the middle, where the tar stream is read and hashed as it passes:
 *
 *     write:   tar --create  → ArchiveWriter (config first, sums, manifest last) → zstd -o PARTIAL
 *     check:   zstd -d       → ArchiveChecker (every header and sum)
 *     unpack:  zstd -d       → ArchiveChecker → tar --extract private/fs
 *
 * Nothing is buffered whole; a program that fails, or a stream that is found damaged,
 * ends the others, and the caller removes what was written.
 */
import { isVzError, vzError, type Host, type RunResult } from '@vzkit/core';
import { backupError } from './errors.js';
import { ArchiveChecker, ArchiveWriter, type CheckedArchive, type Manifest } from './format.js';
import { Pipe } from './pipe.js';
import { complaint, noSpace, runProgram, tarCreateArgs, tarExtractArgs, zstdCompressArgs, zstdDecompressArgs } from './programs.js';
import { END_OF_ARCHIVE, TarDamage } from './tar.js';

/** How far a pipeline got: for progress lines. */
export interface Progress {
  /** Regular files and bytes of their data gone by. */
  files: number;
  bytes: number;
}

/** Calls `report` every `everyMs` while `work` runs. */
async function reporting<T>(work: Promise<T>, progress: () => Progress, report: ((p: Progress) => void) | undefined, everyMs: number): Promise<T> {
  if (!report) return work;
  const timer = setInterval(() => report(progress()), everyMs);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}

export interface WriteRequest {
  host: Host;
  /** The VE's config file. */
  config: string;
  /** The file to write (a partial name, renamed by the caller). */
  file: string;
  meta: Omit<Manifest, 'payload' | 'files' | 'format'>;
  /** Called every `everyMs` (default 2 s) while it runs. */
  progress?: (p: Progress) => void;
  everyMs?: number;
}

/**
 * Writes the archive of the VE's files at `upper` (VE_PRIVATE/fs: a directory, or quota's
 * link into the mounted disk; the VE held still) into `file`, which must not exist: it is
 * made here (0600, O_EXCL: a name someone else planted is refused, not followed), and
 * zstd's output appended to it. Resolves with the manifest.
 */
export async function writeArchive(upper: string, req: WriteRequest): Promise<Manifest> {
  const { host } = req;
  await host.fs.writeFile(req.file, '', { mode: 0o600, exclusive: true });
  const pipe = new Pipe();
  const zstd = runProgram(host, zstdCompressArgs(), { input: pipe, onOutput: (c) => host.fs.writeFile(req.file, c, { append: true }) });
  const writer = new ArchiveWriter((c) => pipe.write(c));
  const work = (async () => {
    await writer.begin(req.config);
    const tar = await runProgram(host, tarCreateArgs(upper), { onOutput: (c) => writer.tar(c) });
    if (tar.code !== 0) throw backupError('BACKUP_FAILED', `tar could not read ${upper}: ${complaint(tar, 'tar')}`, { path: upper });
    const manifest = await writer.finish(req.meta);
    pipe.end();
    return manifest;
  })();
  let manifest: Manifest;
  try {
    manifest = await reporting(work, () => ({ files: writer.files, bytes: writer.dataBytes }), req.progress, req.everyMs ?? 2000);
  } catch (e) {
    pipe.fail(e);
    // The compressor's own end (a full disk under it) says more than the broken pipe it caused.
    const z = await zstd.then((r) => ({ r }), (err: unknown) => ({ err }));
    if ('err' in z) throw writeError(z.err, req.file);
    if (z.r.code !== 0) throw zstdError(z.r, req.file);
    throw asDamage(e, 'tar wrote a stream that is not a tar archive');
  }
  const z = await zstd.catch((e: unknown) => Promise.reject(writeError(e, req.file)));
  if (z.code !== 0) throw zstdError(z, req.file);
  return manifest;
}

/** Appending to the archive failed (ENOSPC: NO_DISK_SPACE, 46). */
function writeError(e: unknown, file: string): unknown {
  return isVzError(e) && e.errno === 'ENOSPC' ? vzError('NO_DISK_SPACE', `not enough disk space for ${file}`, { path: file, errno: 'ENOSPC', cause: e }) : e;
}

function zstdError(r: RunResult, file: string) {
  return backupError('BACKUP_FAILED', `zstd could not compress ${file}: ${complaint(r, 'zstd')}`, { path: file });
}

function asDamage(e: unknown, what: string): unknown {
  return e instanceof TarDamage ? backupError('BACKUP_FAILED', `${what}: ${e.message} (at byte ${e.offset})`) : e;
}

/** A stream that failed its checks is a damaged archive; anything else goes as it is. */
function damaged(file: string, e: unknown): unknown {
  if (e instanceof TarDamage) {
    return backupError('BACKUP_DAMAGED', `${file} is damaged: ${e.message}`, { path: file, hint: 'nothing was restored; use another backup' });
  }
  return e;
}

/** zstd refused the file: not zstd, or its frames are damaged. */
function zstdReadError(file: string, stderr: string, code: number) {
  return backupError('BACKUP_DAMAGED', `${file} is damaged or not a zstd archive: ${complaint({ code, stderr, stdout: '' }, 'zstd')}`, {
    path: file, hint: 'nothing was restored; use another backup',
  });
}

export interface ReadRequest {
  host: Host;
  file: string;
  progress?: (p: Progress) => void;
  everyMs?: number;
}

/** Reads the whole archive and checks it; resolves with its config and manifest, changing nothing. */
export async function checkArchive(req: ReadRequest): Promise<CheckedArchive> {
  const checker = new ArchiveChecker();
  try {
    const z = await reporting(runProgram(req.host, zstdDecompressArgs(req.file), { onOutput: (c) => checker.push(c) }),
      () => ({ files: checker.files, bytes: checker.dataBytes }), req.progress, req.everyMs ?? 2000);
    if (z.code !== 0) throw zstdReadError(req.file, z.stderr, z.code);
    return checker.result();
  } catch (e) {
    throw damaged(req.file, e);
  }
}

export interface UnpackRequest extends ReadRequest {
  /** The manifest the check found: the archive must still be the one checked. */
  expect: Manifest;
}

/**
 * Unpacks the VE's files into `into` (a new VE's private area, before that VE exists),
 * checking the stream again as it goes (the file could have changed since it was
 * checked): a mismatch fails after tar is done, and the caller removes what it unpacked.
 */
export async function unpackArchive(into: string, req: UnpackRequest): Promise<void> {
  const pipe = new Pipe();
  let pending: Uint8Array[] = [];
  const checker = new ArchiveChecker((c) => pending.push(c.slice()));
  const tar = runProgram(req.host, tarExtractArgs(into), { input: pipe });
  const feed = async (c: Uint8Array) => {
    checker.push(c);
    const out = pending;
    pending = [];
    for (const p of out) await pipe.write(p);
  };
  const work = (async () => {
    const z = await runProgram(req.host, zstdDecompressArgs(req.file), { onOutput: feed });
    if (z.code !== 0) throw zstdReadError(req.file, z.stderr, z.code);
    const { manifest } = checker.result();
    if (manifest.payload.sha256 !== req.expect.payload.sha256) {
      throw backupError('BACKUP_DAMAGED', `${req.file} changed since it was checked`, { path: req.file });
    }
    await pipe.write(END_OF_ARCHIVE);
    pipe.end();
  })();
  try {
    await reporting(work, () => ({ files: checker.files, bytes: checker.dataBytes }), req.progress, req.everyMs ?? 2000);
  } catch (e) {
    pipe.fail(e);
    // tar's own failure (a full disk) says more than the broken pipe it caused.
    const t = await tar.catch(() => undefined);
    if (t && t.code !== 0 && !(e instanceof TarDamage)) throw tarUnpackError(t, req.file, into);
    throw damaged(req.file, e);
  }
  const t = await tar;
  if (t.code !== 0) throw tarUnpackError(t, req.file, into);
}

function tarUnpackError(t: RunResult, file: string, into: string) {
  const line = `tar could not unpack ${file} into ${into}: ${complaint(t, 'tar')}`;
  return noSpace(t.stderr)
    ? vzError('NO_DISK_SPACE', `not enough disk space: ${line}`, { path: into, errno: 'ENOSPC' })
    : backupError('BACKUP_FAILED', line, { path: into });
}
