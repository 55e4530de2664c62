/**
 * The template plugin's service TEMPLATE_TREES: the complete tree of a template, for the
 * plugins that build a VE's root on it (ns-fs). They learn the template directory's
 * convention (the stamp, partial builds) from here only.
 */
import { HOST, vzError, type Host, type ServiceProvider, type TemplateTrees, TEMPLATE_TREES } from '@vzkit/core';
import { isTemplateComplete, templatePath } from './layout.js';

export function templateTrees(host: Host): TemplateTrees {
  return {
    async tree(dir, name, label) {
      const tree = templatePath(dir, name);
      if (!(await isTemplateComplete(host, dir, name))) {
        throw vzError('TEMPLATE_NOT_FOUND', `${label}: OS template '${name}' not found in ${dir}`, {
          path: tree, hint: `the template is made at 'vzctl create'; check ${tree}`,
        });
      }
      return tree;
    },
  };
}

export const TEMPLATE_TREES_PROVIDER: ServiceProvider<TemplateTrees> = {
  token: TEMPLATE_TREES,
  create: (resolve) => templateTrees(resolve.service(HOST)),
};
