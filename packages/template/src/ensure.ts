/**
 * Making sure a VE's OS template is there: use the unpacked tree, else unpack it from the
 * machine's template cache, else build it (and keep a slow build's tarball in the cache),
 * else say which templates exist. All of it under the template's lock, and a build of a
 * cached template also under the machine's lock (locks.ts): of two processes that lack
 * the same template, one builds and the other waits and takes its result.
 */
import { isVzError, vzError, wrapError, type Host } from '@vzkit/core';
import { buildTemplate, type TemplateBuilder } from './build.js';
import { buildableNames, findBuilder } from './builders.js';
import { findCached, storeInCache } from './cache.js';
import { importTemplate } from './import-tarball.js';
import { isTemplateComplete, listTemplates, templatePath } from './layout.js';
import { cacheLock, holding, templateLock } from './locks.js';
import { silentProgress, type Progress } from './progress.js';

export interface EnsureOptions {
  /** Who needs it, for the error message (`CT 101`). */
  label?: string;
  /** Where the long steps of an unpack or a build are reported. */
  progress?: Progress;
  /** The machine's template cache (templateCacheDir); without it slow builds are neither taken from one nor kept. */
  cacheDir?: string;
  /** Build even when the cache holds the template, and replace its tarball there. */
  fresh?: boolean;
  /** Debian mirror of a Debian build. */
  mirror?: string;
  /** Runs once the template is there, still under its lock (a create marks itself as a user). */
  whileLocked?(path: string): Promise<void>;
  /** What the lock says this process does, to whoever waits (`create CT 101`). */
  op?: string;
}

/**
 * Resolves with the tree of template `name` in `dir`, unpacking or building it first when
 * it is missing and vzkit can make it. Throws TEMPLATE_NOT_FOUND (exit 91) otherwise,
 * with the available templates in the hint.
 */
export async function ensureTemplate(host: Host, dir: string, name: string, opts: EnsureOptions = {}): Promise<string> {
  try {
    await host.fs.mkdir(dir, { recursive: true });
    return await holding(templateLock(host, dir, name), opts.op ?? 'make', opts.progress ?? silentProgress, async () => {
      const path = await obtain(host, dir, name, opts);
      await opts.whileLocked?.(path);
      return path;
    });
  } catch (e) {
    throw opts.label ? wrapError(e, opts.label) : e;
  }
}

async function obtain(host: Host, dir: string, name: string, opts: EnsureOptions): Promise<string> {
  const path = templatePath(dir, name);
  if (await isTemplateComplete(host, dir, name)) return path;
  const progress = opts.progress ?? silentProgress;
  const builder = await findBuilder(host, name, { progress, ...(opts.mirror ? { mirror: opts.mirror } : {}) });
  if (!builder) throw await notFound(host, dir, name);
  if (!builder.cached || !opts.cacheDir) return build(host, dir, builder, progress);
  const cacheDir = opts.cacheDir;
  try {
    await host.fs.mkdir(cacheDir, { recursive: true, mode: 0o755 });
  } catch (e) {
    // The template can still be made; only the machine's other roots lose the shortcut.
    progress(`WARNING: the machine cache ${cacheDir} is unusable (${e instanceof Error ? e.message : String(e)}); building without it`);
    return build(host, dir, builder, progress);
  }
  return holding(cacheLock(host, cacheDir, name), `${opts.op ?? 'make'} ${name}`, progress, async () => {
    const file = opts.fresh ? undefined : await findCached(host, cacheDir, name);
    if (file) {
      try {
        return await importTemplate(host, dir, name, file, progress);
      } catch (e) {
        // A damaged cache file must not block the template for good: build a new one.
        if (!isVzError(e) || e.code !== 'BAD_TEMPLATE') throw e;
        progress(`${file} is unusable (${e.message}); building instead`);
      }
    }
    const tree = await build(host, dir, builder, progress);
    try {
      progress(`keeping a copy in ${cacheDir}`);
      progress(`cached as ${await storeInCache(host, dir, name, cacheDir)}`);
    } catch (e) {
      // The template is there; only later builds on this machine lose the shortcut.
      progress(`WARNING: not kept in the cache: ${e instanceof Error ? e.message : String(e)}`);
    }
    return tree;
  });
}

async function build(host: Host, dir: string, builder: TemplateBuilder, progress: Progress): Promise<string> {
  await builder.check();
  // Only slow builds say they began; busybox is there before anyone would read it.
  if (builder.cached) progress(`building (${builder.source})`);
  return buildTemplate(host, dir, builder.name, builder.source, builder.fill);
}
async function notFound(host: Host, dir: string, name: string): Promise<Error> {
  const names = (await listTemplates(host, dir)).map((t) => t.name);
  const buildable = (await buildableNames(host)).filter((n) => !names.includes(n));
  const available = [...names, ...buildable.map((n) => `${n} (built on first use)`)];
  return vzError('TEMPLATE_NOT_FOUND', `OS template '${name}' not found in ${dir}`, {
    path: templatePath(dir, name),
    hint: `available templates: ${available.join(', ')}`,
  });
}
