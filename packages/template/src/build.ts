/**
 * Building a template tree so that no reader ever sees half of one: the tree is filled in
 * `<NAME>.partial-<pid>`, stamped last, and renamed into place. A build that fails
 * removes its partial directory; one that was killed leaves it, and the next build
 * removes partial directories whose process is gone.
 */
import { join } from 'node:path';
import { faultPoint, vzError, wrapError, type Host } from '@vzkit/core';
import { PARTIAL, TEMPLATE_STAMP, templatePath, type TemplateStamp } from './layout.js';

/** Stamp fields a filler knows better than the build (an import keeps the original build's). */
export type StampFields = Partial<Omit<TemplateStamp, 'name' | 'size'>>;

/** Fills the (empty, existing) directory `root` with the template's tree. */
export type TemplateFiller = (root: string) => Promise<StampFields | void>;

/** A template vzkit can make itself (busybox, debian-12-x86_64). */
export interface TemplateBuilder {
  readonly name: string;
  /** What the stamp's `source` says. */
  readonly source: string;
  /** A slow build (downloads): its tarball is kept in the machine's template cache. */
  readonly cached: boolean;
  /** Throws (TEMPLATE_NOT_FOUND, naming what to install) when this host cannot build it, before anything is made. */
  check(): Promise<void>;
  fill: TemplateFiller;
}

// Builds of one template in this process share one partial directory name: run them one at a time.
const building = new Map<string, Promise<string>>();

/** Removes `<NAME>.partial-<pid>` directories left by builds whose process no longer runs. */
export async function removeStalePartials(host: Host, dir: string): Promise<string[]> {
  if (!(await host.fs.exists(dir))) return [];
  const removed: string[] = [];
  for (const entry of await host.fs.readdir(dir)) {
    const m = PARTIAL.exec(entry);
    if (!m) continue;
    const pid = Number(m[2]);
    if (pid === process.pid || (await host.processes.alive(pid))) continue;
    await host.fs.remove(join(dir, entry), { recursive: true });
    removed.push(entry);
  }
  return removed;
}

/**
 * Builds template `name` in `dir` with `fill` unless a complete tree is already there;
 * resolves with the tree's path. On failure nothing of the build is left behind, and the
 * error says `cannot <action> OS template ...`.
 */
export function buildTemplate(host: Host, dir: string, name: string, source: string, fill: TemplateFiller, action = 'build'): Promise<string> {
  const final = templatePath(dir, name);
  const running = building.get(final);
  if (running) return running;
  const p = runBuild(host, dir, name, source, fill, action).finally(() => building.delete(final));
  building.set(final, p);
  return p;
}

async function runBuild(host: Host, dir: string, name: string, source: string, fill: TemplateFiller, action: string): Promise<string> {
  const final = templatePath(dir, name);
  await host.fs.mkdir(dir, { recursive: true });
  await removeStalePartials(host, dir);
  if (await host.fs.exists(join(final, TEMPLATE_STAMP))) return final;
  if (await host.fs.exists(final)) {
    throw vzError('BAD_TEMPLATE', `OS template '${name}' in ${dir} is incomplete (no ${TEMPLATE_STAMP})`, {
      path: final, hint: `remove ${final} to have it rebuilt`,
    });
  }
  const partial = `${final}.partial-${process.pid}`;
  try {
    await host.fs.mkdir(partial, { mode: 0o755 });
    await host.fs.chmod(partial, 0o755);
    const fields = (await fill(partial)) ?? {};
    // A build killed from here on (VZKIT_FAULT=template:filled) leaves a whole but unstamped partial.
    faultPoint('template', 'filled');
    const stamp: TemplateStamp = { name, created: new Date().toISOString(), source, ...fields, size: await treeSize(host, partial) };
    await host.fs.writeFile(join(partial, TEMPLATE_STAMP), `${JSON.stringify(stamp)}\n`, { mode: 0o644 });
    try {
      await host.fs.rename(partial, final);
    } catch (e) {
      // Another vzctl finished the same template first: theirs is as good as ours.
      if (!(await host.fs.exists(join(final, TEMPLATE_STAMP)))) throw e;
      await host.fs.remove(partial, { recursive: true });
    }
    return final;
  } catch (e) {
    const err = wrapError(e, `cannot ${action} OS template '${name}' in ${dir}`);
    try {
      if (await host.fs.exists(partial)) await host.fs.remove(partial, { recursive: true });
    } catch (cleanup) {
      err.cleanupErrors.push(wrapError(cleanup, `remove ${partial}`));
    }
    throw err;
  }
}

/** Bytes in the regular files of a tree (symlinks not followed, so each file counts once). */
export async function treeSize(host: Host, root: string): Promise<number> {
  let total = 0;
  for (const name of await host.fs.readdir(root)) {
    const path = join(root, name);
    const st = await host.fs.stat(path);
    if (st?.type === 'file') total += st.size;
    else if (st?.type === 'dir') total += await treeSize(host, path);
  }
  return total;
}
