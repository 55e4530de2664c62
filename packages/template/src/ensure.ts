/** Making sure a VE's OS template is there: use the cached tree, build an embedded one, or say what exists. */
import { vzError, wrapError, type Host } from '@vzkit/core';
import { BUSYBOX_TEMPLATE, buildBusyboxTemplate } from './busybox.js';
import { isTemplateComplete, listTemplates, templatePath } from './layout.js';

/** Templates vzkit can make on the spot, without a download. */
const BUILDERS: ReadonlyMap<string, (host: Host, dir: string) => Promise<string>> = new Map([
  [BUSYBOX_TEMPLATE, buildBusyboxTemplate],
]);

export interface EnsureOptions {
  /** Who needs it, for the error message (`CT 101`). */
  label?: string;
}

/**
 * Resolves with the tree of template `name` in `dir`, building it first when it is
 * missing and vzkit can build it. Throws TEMPLATE_NOT_FOUND (exit 91) otherwise, with the
 * available templates in the hint.
 */
export async function ensureTemplate(host: Host, dir: string, name: string, opts: EnsureOptions = {}): Promise<string> {
  try {
    return await findOrBuild(host, dir, name);
  } catch (e) {
    throw opts.label ? wrapError(e, opts.label) : e;
  }
}

async function findOrBuild(host: Host, dir: string, name: string): Promise<string> {
  const path = templatePath(dir, name);
  if (await isTemplateComplete(host, dir, name)) return path;
  const build = BUILDERS.get(name);
  if (build) return build(host, dir);
  const names = (await listTemplates(host, dir)).map((t) => t.name);
  const buildable = [...BUILDERS.keys()].filter((n) => !names.includes(n));
  const available = [...names, ...buildable.map((n) => `${n} (built on first use)`)];
  throw vzError('TEMPLATE_NOT_FOUND', `OS template '${name}' not found in ${dir}`, {
    path,
    hint: `available templates: ${available.join(', ')}`,
  });
}
