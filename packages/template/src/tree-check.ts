/**
 * Is an unpacked tarball a template tree? A VE boots its `/sbin/init` and runs commands
 * with `/bin/sh`, so both must be there — as the VE sees them: Debian 12 has /sbin and
 * /bin as links into /usr, so links are followed inside the tree (absolute targets from
 * its top), never out of it.
 */
import { join } from 'node:path';
import { vzError, type FileStat, type Host } from '@vzkit/core';

const MAX_LINKS = 40;

/** `rel` of the tree at `root` as a process chrooted there sees it; undefined when missing or looping. */
export async function statInTree(host: Host, root: string, rel: string): Promise<FileStat | undefined> {
  let todo = rel.split('/').filter(Boolean);
  const at: string[] = [];
  let links = 0;
  while (todo.length > 0) {
    const part = todo.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      at.pop();
      continue;
    }
    const path = join(root, ...at, part);
    const st = await host.fs.stat(path);
    if (!st) return undefined;
    if (st.type !== 'symlink') {
      at.push(part);
      continue;
    }
    if (++links > MAX_LINKS) return undefined;
    const target = await host.fs.readlink(path);
    if (target.startsWith('/')) at.length = 0;
    todo = [...target.split('/').filter(Boolean), ...todo];
  }
  return host.fs.stat(join(root, ...at));
}

/** The files without which a tree is no OS template. */
const REQUIRED: ReadonlyArray<[string, FileStat['type']]> = [['sbin/init', 'file'], ['bin/sh', 'file'], ['etc', 'dir']];

/** Throws BAD_TEMPLATE naming `what` (the tarball) unless `root` holds a system a VE can boot. */
export async function checkTemplateTree(host: Host, root: string, what: string): Promise<void> {
  for (const [rel, type] of REQUIRED) {
    if ((await statInTree(host, root, rel))?.type === type) continue;
    const top = await host.fs.readdir(root);
    const inner = top.length === 1 ? join(root, top[0]!) : undefined;
    const wrapped = inner !== undefined && (await statInTree(host, inner, rel))?.type === type;
    throw vzError('BAD_TEMPLATE', `${what} is not an OS template: it has no /${rel}`, {
      hint: wrapped
        ? `its files are all in ${top[0]}/: pack the system's root itself (tar -C ROOT .)`
        : 'an OS template is the whole root filesystem of a system, /sbin/init and /bin/sh included',
    });
  }
}
