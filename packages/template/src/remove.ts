/**
 * Removing a template tree the way builds make one: never half. The tree is renamed to
 * `<NAME>.partial-<pid>` first — from then on nobody sees the template — and deleted
 * after; a removal killed midway leaves a partial directory that the next build removes.
 */
import { vzError, type Host } from '@vzkit/core';
import { templatePath } from './layout.js';

/** Removes template `name` (complete or not) from `dir`; TEMPLATE_NOT_FOUND when there is none. */
export async function removeTemplateTree(host: Host, dir: string, name: string): Promise<void> {
  const path = templatePath(dir, name);
  if (!(await host.fs.exists(path))) {
    throw vzError('TEMPLATE_NOT_FOUND', `OS template '${name}' not found in ${dir}`, { path });
  }
  const doomed = `${path}.partial-${process.pid}`;
  await host.fs.rename(path, doomed);
  await host.fs.remove(doomed, { recursive: true });
}
