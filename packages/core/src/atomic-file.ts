/**
 * vzkit's own files (config, state) are replaced atomically: write a temp file in the
 * same directory, fsync, rename over the target (runc's saveState, crun's status.c).
 * A reader sees the old file or the new one, never half of either.
 *
 * `durable: false` skips the fsync: the rename alone is atomic against a killed
 * process, and files under the run directory do not outlive a power loss anyway (the
 * mounts and cgroups they describe are gone too). It saves a disk flush per state write.
 */
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';

export async function writeFileAtomic(path: string, data: string, mode = 0o644, opts: { durable?: boolean } = {}): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  const fh = await open(tmp, 'wx', mode);
  try {
    await fh.writeFile(data);
    if (opts.durable !== false) await fh.sync();
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
