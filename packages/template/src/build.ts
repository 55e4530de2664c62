/**
 * Building a template tree so that no reader ever sees half of one: the tree is filled in
 * `<NAME>.partial-<pid>`, stamped last, and renamed into place. A build that fails
 * removes its partial directory; one that was killed leaves it, and the next build
 * removes partial directories whose process is gone.
 */
import { join } from 'node:path';
import { vzError, wrapError, type Host } from '@vzkit/core';
import { PARTIAL, TEMPLATE_STAMP, templatePath, type TemplateStamp } from './layout.js';

/** Fills the (empty, existing) directory `root` with the template's tree. */
export type TemplateFiller = (root: string) => Promise<void>;

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
 * resolves with the tree's path. On failure nothing of the build is left behind.
 */
export function buildTemplate(host: Host, dir: string, name: string, source: string, fill: TemplateFiller): Promise<string> {
  const final = templatePath(dir, name);
  const running = building.get(final);
  if (running) return running;
  const p = runBuild(host, dir, name, source, fill).finally(() => building.delete(final));
  building.set(final, p);
  return p;
}

async function runBuild(host: Host, dir: string, name: string, source: string, fill: TemplateFiller): Promise<string> {
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
    await fill(partial);
    const stamp: TemplateStamp = { name, created: new Date().toISOString(), source };
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
    const err = wrapError(e, `cannot build OS template '${name}' in ${dir}`);
    try {
      if (await host.fs.exists(partial)) await host.fs.remove(partial, { recursive: true });
    } catch (cleanup) {
      err.cleanupErrors.push(wrapError(cleanup, `remove ${partial}`));
    }
    throw err;
  }
}
