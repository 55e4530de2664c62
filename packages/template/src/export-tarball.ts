/**
 * `vztmpl export`: a complete template as one compressed tarball, stamp included, so
 * that an import elsewhere knows where the tree came from. The tarball is written beside
 * its final name (`FILE.partial-<pid>`) and renamed into place: a reader never sees half
 * of one, and an export that was killed leaves only a partial file.
 */
import { vzError, wrapError, type Host } from '@vzkit/core';
import { isTemplateComplete, templatePath } from './layout.js';
import type { Progress } from './progress.js';
import { compressionOf, defaultCompression, packTree, type Compression } from './tarball.js';

export interface ExportOptions {
  /** Default: what FILE's name says, else zstd when the host has it, else gzip. */
  compression?: Compression;
  /** Replace FILE when it exists (the machine cache); without it an existing FILE is refused. */
  replace?: boolean;
  progress?: Progress;
}

/** Writes template `name` of `dir` to `file`; resolves with the compression used. */
export async function exportTemplate(host: Host, dir: string, name: string, file: string, opts: ExportOptions = {}): Promise<Compression> {
  if (!(await isTemplateComplete(host, dir, name))) {
    throw vzError('TEMPLATE_NOT_FOUND', `OS template '${name}' not found in ${dir}`, { path: templatePath(dir, name) });
  }
  if (!opts.replace && (await host.fs.exists(file))) {
    throw vzError('BAD_VALUE', `cannot export OS template '${name}': ${file} exists`, { path: file, hint: 'remove it or name another file' });
  }
  const compression = opts.compression ?? compressionOf(file) ?? (await defaultCompression(host));
  const partial = `${file}.partial-${process.pid}`;
  try {
    opts.progress?.(`packing into ${file}`);
    await packTree(host, templatePath(dir, name), partial, compression);
    await host.fs.rename(partial, file);
  } catch (e) {
    const err = wrapError(e, `cannot export OS template '${name}'`);
    try {
      if (await host.fs.exists(partial)) await host.fs.remove(partial);
    } catch (cleanup) {
      err.cleanupErrors.push(wrapError(cleanup, `remove ${partial}`));
    }
    throw err;
  }
  return compression;
}
