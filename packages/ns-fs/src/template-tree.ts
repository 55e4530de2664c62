/**
 * The template directory's convention (kept by @vzkit/template): template NAME is the
 * read-only tree `<template dir>/<NAME>/`, complete only when it holds `.vzkit-template`.
 * ns-fs relies on the convention, not on the template package.
 */
import { join } from 'node:path';
import { vzError, type Host } from '@vzkit/core';

export const TEMPLATE_STAMP = '.vzkit-template';

/** The tree of the VE's template; TEMPLATE_NOT_FOUND when it is missing or unfinished. */
export async function templateTree(host: Host, dir: string, name: string, label: string): Promise<string> {
  const tree = join(dir, name);
  if (!(await host.fs.exists(join(tree, TEMPLATE_STAMP)))) {
    throw vzError('TEMPLATE_NOT_FOUND', `${label}: OS template '${name}' not found in ${dir}`, {
      path: tree, hint: `the template is made at 'vzctl create'; check ${tree}`,
    });
  }
  return tree;
}
