/**
 * The boundary the architecture rests on: plugins reach the kernel only through the Host
 * interface. No plugin's source imports @vzkit/linux (the one implementation of Host),
 * node:fs or node:child_process, nor reaches into another package's files. The plugins
 * under examples/ (the one docs/plugins.md builds) are held to the same rule.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
/**
 * Not plugins: the kernel, the Host implementations (real and fake), the tools and the
 * daemon that compose them (vzctl, vzkitd; vzunshare, which makes its temporary root and loads LinuxHost).
 */
const NOT_PLUGINS = new Set(['packages/core', 'packages/linux', 'packages/cli', 'packages/fake-host', 'packages/vzkitd', 'examples/unshare']);
const FORBIDDEN = [/^@vzkit\/linux(\/|$)/, /^(node:)?fs(\/promises)?$/, /^(node:)?child_process$/];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : name.endsWith('.ts') ? [path] : [];
  });
}

function imports(text: string): string[] {
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)]
    .map((m) => m[1] ?? m[2]!);
}

const plugins = ['packages', 'examples']
  .flatMap((top) => readdirSync(join(repo, top)).map((p) => `${top}/${p}`))
  .filter((p) => !NOT_PLUGINS.has(p) && statSync(join(repo, p, 'src'), { throwIfNoEntry: false })?.isDirectory());

describe('the plugin boundary', () => {
  it('finds the plugins', () => {
    expect(plugins).toEqual(expect.arrayContaining(['packages/ns-fs', 'packages/ns-net', 'packages/ubc', 'packages/template', 'examples/motd']));
  });

  it.each(plugins.map((p) => [p]))('%s imports neither @vzkit/linux, node:fs nor node:child_process, nor another package\'s files', (pkg) => {
    const bad: string[] = [];
    for (const file of sources(join(repo, pkg, 'src'))) {
      for (const spec of imports(readFileSync(file, 'utf8'))) {
        const escapes = spec.startsWith('.') && relative(join(repo, pkg), join(file, '..', spec)).startsWith('..');
        if (FORBIDDEN.some((re) => re.test(spec)) || escapes || /^@vzkit\/[^/]+\/src\//.test(spec)) bad.push(`${relative(repo, file)}: ${spec}`);
      }
    }
    expect(bad).toEqual([]);
  });
});
