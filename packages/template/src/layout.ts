/**
 * The on-disk convention of the template directory, which ns-fs relies on: template NAME
 * is the read-only tree `<dir>/<NAME>/`, and it is complete only when it holds the stamp
 * file `.vzkit-template`, written last. A tree without the stamp is a build that never
 * finished and is never used.
 */
import { join } from 'node:path';
import { vzError, type Host } from '@vzkit/core';

/** The stamp file that marks a finished template tree. */
export const TEMPLATE_STAMP = '.vzkit-template';

/** What the stamp records. */
export interface TemplateStamp {
  name: string;
  /** ISO time the build finished. */
  created: string;
  /** Where the tree came from (`busybox:/bin/busybox`, `mmdebstrap:bookworm:<mirror>`, `tarball:<path>`). */
  source: string;
  /** Bytes in the tree's regular files (what `vztmpl list` shows). */
  size?: number;
  /** ISO time it was unpacked here from a tarball (`created` is then the original build's). */
  imported?: string;
  /** The tarball it was unpacked from. */
  importedFrom?: string;
}

/** A complete template found in the template directory. */
export interface TemplateInfo {
  name: string;
  /** The unpacked tree. */
  path: string;
  /** From the stamp; undefined when the stamp is unreadable or lacks them. */
  created: string | undefined;
  source: string | undefined;
  size: number | undefined;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;
/** Build directories: `<NAME>.partial-<pid>` of the vzctl process that builds. */
export const PARTIAL = /^(.+)\.partial-(\d+)$/;

/** Throws BAD_VALUE unless `name` is a plain template name (no path, no build suffix). */
export function checkTemplateName(name: string): void {
  if (!NAME.test(name) || PARTIAL.test(name)) {
    throw vzError('BAD_VALUE', `invalid OS template name '${name}'`, { hint: 'letters, digits and . _ + - only, starting with a letter or digit' });
  }
}

/** The tree of template `name` in template directory `dir`. */
export function templatePath(dir: string, name: string): string {
  checkTemplateName(name);
  return join(dir, name);
}

/** True when the tree of `name` exists and carries its stamp. */
export async function isTemplateComplete(host: Host, dir: string, name: string): Promise<boolean> {
  return host.fs.exists(join(templatePath(dir, name), TEMPLATE_STAMP));
}

/** The stamp of the tree at `path`, as far as it is readable (`{}` when it is not). */
export async function readStamp(host: Host, path: string): Promise<Partial<TemplateStamp>> {
  try {
    const v: unknown = JSON.parse(await host.fs.readFile(join(path, TEMPLATE_STAMP)));
    return typeof v === 'object' && v !== null ? (v as Partial<TemplateStamp>) : {};
  } catch {
    // The stamp's presence is what makes the tree complete; its text is information only.
    return {};
  }
}

/** The complete templates in `dir`, sorted by name; none when `dir` does not exist. */
export async function listTemplates(host: Host, dir: string): Promise<TemplateInfo[]> {
  if (!(await host.fs.exists(dir))) return [];
  const out: TemplateInfo[] = [];
  for (const name of (await host.fs.readdir(dir)).sort()) {
    if (!NAME.test(name) || PARTIAL.test(name)) continue;
    const path = join(dir, name);
    if (!(await host.fs.exists(join(path, TEMPLATE_STAMP)))) continue;
    const stamp = await readStamp(host, path);
    out.push({
      name,
      path,
      created: typeof stamp.created === 'string' ? stamp.created : undefined,
      source: typeof stamp.source === 'string' ? stamp.source : undefined,
      size: typeof stamp.size === 'number' ? stamp.size : undefined,
    });
  }
  return out;
}
