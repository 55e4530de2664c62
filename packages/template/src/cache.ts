/**
 * The machine's template cache: tarballs of templates whose build is slow (a Debian
 * build downloads for minutes), kept where every vzkit root of the machine finds them.
 * `vzctl create` and `vztmpl create` unpack a template from here when its tarball is
 * there and otherwise build it and leave its tarball here. Default /var/cache/vzkit/templates;
 * under a VZKIT_ROOT (tests, benchmarks) /var/tmp/vzkit-template-cache, so that the
 * throwaway roots of test runs share one; the composition may name another
 * (TemplateSettings.cacheDir: the tools take VZKIT_TEMPLATE_CACHE).
 */
import { join } from 'node:path';
import type { Host } from '@vzkit/core';
import { removeStalePartials } from './build.js';
import { exportTemplate } from './export-tarball.js';
import { defaultCompression, EXTENSION, templateNameOf } from './tarball.js';

/** The environment variable through which the tools name another cache (read by the CLI's composition). */
export const TEMPLATE_CACHE_ENV = 'VZKIT_TEMPLATE_CACHE';
export const SYSTEM_TEMPLATE_CACHE = '/var/cache/vzkit/templates';
export const SHARED_TEST_TEMPLATE_CACHE = '/var/tmp/vzkit-template-cache';

/** The cache directory for a vzkit root (`prefix` '' = the real system), unless the composition names one. */
export function templateCacheDir(prefix: string, chosen?: string): string {
  return chosen || (prefix ? SHARED_TEST_TEMPLATE_CACHE : SYSTEM_TEMPLATE_CACHE);
}

/** Where template `name` could be cached, preferred first. */
function candidates(cacheDir: string, name: string): string[] {
  return [EXTENSION.zstd, EXTENSION.gzip].map((ext) => join(cacheDir, `${name}${ext}`));
}

/** The cached tarball of template `name`, if there is one. */
export async function findCached(host: Host, cacheDir: string, name: string): Promise<string | undefined> {
  for (const file of candidates(cacheDir, name)) if (await host.fs.exists(file)) return file;
  return undefined;
}

/** Names of the templates cached in `cacheDir`. */
export async function cachedNames(host: Host, cacheDir: string): Promise<string[]> {
  if (!(await host.fs.exists(cacheDir))) return [];
  const names = (await host.fs.readdir(cacheDir)).filter((f) => f.endsWith(EXTENSION.zstd) || f.endsWith(EXTENSION.gzip));
  return [...new Set(names.map((f) => templateNameOf(f)!))].sort();
}

/**
 * Writes template `name` of `dir` into the cache (replacing an older tarball of it, in
 * either compression); resolves with the file.
 */
export async function storeInCache(host: Host, dir: string, name: string, cacheDir: string): Promise<string> {
  await host.fs.mkdir(cacheDir, { recursive: true, mode: 0o755 });
  await removeStalePartials(host, cacheDir);
  const compression = await defaultCompression(host);
  const file = join(cacheDir, `${name}${EXTENSION[compression]}`);
  await exportTemplate(host, dir, name, file, { compression, replace: true });
  for (const other of candidates(cacheDir, name)) if (other !== file && (await host.fs.exists(other))) await host.fs.remove(other);
  return file;
}
