/**
 * vzkit's own files (config, state) are replaced atomically: write a temp file in the
 * same directory, fsync, rename over the target (runc's saveState, crun's status.c).
 * A reader sees the old file or the new one, never half of either.
 *
 * `durable: false` skips the fsync: the rename alone is atomic against a killed
 * process, and files under the run directory do not outlive a power loss anyway (the
 * mounts and cgroups they describe are gone too). It saves a disk flush per state write.
 * Such a write is also made synchronously: a few system calls on a small file in the
 * run directory (tmpfs on a real host) cost less than the thread-pool round trip each
 * of them takes as an async call, and a start makes a dozen of them.
 */
import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';

const tmpName = (path: string) => join(dirname(path), `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);

export async function writeFileAtomic(path: string, data: string, mode = 0o644, opts: { durable?: boolean } = {}): Promise<void> {
  if (opts.durable === false) return writeFileAtomicSync(path, data, mode);
  const tmp = tmpName(path);
  const fh = await open(tmp, 'wx', mode).catch(async (e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw e;
    await mkdir(dirname(path), { recursive: true });
    return open(tmp, 'wx', mode);
  });
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    await fh.close();
    await rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** {@link writeFileAtomic} without the fsync, synchronously (vzkit's run-time records). */
export function writeFileAtomicSync(path: string, data: string, mode = 0o644): void {
  const tmp = tmpName(path);
  let fd: number;
  try {
    fd = openSync(tmp, 'wx', mode);
  } catch (e) {
    // The directory is there but for the first write.
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    mkdirSync(dirname(path), { recursive: true });
    fd = openSync(tmp, 'wx', mode);
  }
  try {
    writeFileSync(fd, data);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
