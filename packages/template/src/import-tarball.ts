/**
 * `vztmpl import`: a tarball becomes template NAME through the same never-half-made path
 * as a build — unpacked into `NAME.partial-<pid>`, checked to be a system a VE can boot,
 * stamped, renamed into place. A vzkit export carries its stamp: the import keeps where
 * and when the tree was built, and notes the tarball; any other root filesystem tarball
 * (an OpenVZ precreated template) is stamped as coming from its file.
 */
import { resolve } from 'node:path';
import { vzError, type Host } from '@vzkit/core';
import { templateError } from './errors.js';
import { buildTemplate, type StampFields } from './build.js';
import { checkTemplateName, isTemplateComplete, readStamp, templatePath } from './layout.js';
import { silentProgress, type Progress } from './progress.js';
import { unpackTarball } from './tarball.js';
import { checkTemplateTree } from './tree-check.js';

/** Throws TEMPLATE_EXISTS (exit 93) when template `name` is already complete in `dir`. */
export async function refuseExisting(host: Host, dir: string, name: string): Promise<void> {
  if (await isTemplateComplete(host, dir, name)) {
    throw templateError('TEMPLATE_EXISTS', `OS template '${name}' already exists in ${dir}`, {
      path: templatePath(dir, name), hint: `remove it first: vztmpl remove ${name}`,
    });
  }
}

/** Unpacks the tarball `file` as template `name` of `dir`; resolves with the tree's path. */
export async function importTemplate(host: Host, dir: string, name: string, file: string, progress: Progress = silentProgress): Promise<string> {
  checkTemplateName(name);
  const from = resolve(file);
  if (!(await host.fs.exists(from))) throw vzError('TEMPLATE_NOT_FOUND', `cannot import OS template '${name}': ${from} not found`, { path: from });
  await refuseExisting(host, dir, name);
  return buildTemplate(host, dir, name, `tarball:${from}`, async (root): Promise<StampFields> => {
    progress(`unpacking ${from}`);
    await unpackTarball(host, from, root);
    await checkTemplateTree(host, root, from);
    const theirs = await readStamp(host, root);
    if (typeof theirs.source !== 'string') return {};
    return {
      source: theirs.source,
      ...(typeof theirs.created === 'string' ? { created: theirs.created } : {}),
      imported: new Date().toISOString(),
      importedFrom: from,
    };
  }, 'import');
}
