// Bundles the binaries (dist/vzctl.js, dist/vzlist.js, dist/vzubc.js, ... one per tool) from the workspace sources
// (export condition `source`), so they start without resolving a dozen packages.
// Code loaded with import() (the Linux host, the plugins) goes into chunks that load
// only when a command needs them. koffi stays external: it carries a native module and
// resolves at run time from packages/cli/node_modules or the workspace root.
import { build } from 'esbuild';
import { chmod, readdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** One binary per tool, from src/bin/<tool>.ts (package.json's `bin` and scripts/setup.sh list the same). */
const TOOLS = [
  'vzctl', 'vzlist', 'vzubc', 'vzcpucheck', 'vztmpl', 'vzquota', 'vz',
  'vzpid', 'vzps', 'vztop', 'vzsplit', 'vzmemcheck', 'vzcalc', 'vzcfgvalidate', 'vzdump', 'vzrestore', 'vzprocfs',
];

// tsyringe and reflect-metadata are CommonJS: they call require(), which ESM lacks.
const banner = [
  '#!/usr/bin/env node',
  "import { createRequire as __vzkitCreateRequire } from 'node:module';",
  'const require = __vzkitCreateRequire(import.meta.url);',
].join('\n');

// Chunks sit beside the entries (the Linux host finds its launcher relative to the
// module's directory); their names carry content hashes, so drop the previous build's.
const dist = join(here, 'dist');
for (const f of await readdir(dist).catch(() => [])) {
  if (f.startsWith('part-')) await rm(join(dist, f), { force: true });
}

await build({
  absWorkingDir: here,
  entryPoints: Object.fromEntries(TOOLS.map((t) => [t, `src/bin/${t}.ts`])),
  outdir: 'dist',
  chunkNames: 'part-[name]-[hash]',
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  conditions: ['source'],
  external: ['koffi'],
  banner: { js: banner },
  sourcemap: 'linked',
  logLevel: 'warning',
});

for (const t of TOOLS) await chmod(join(here, 'dist', `${t}.js`), 0o755);
