// Bundles dist/vzkitd.js from the workspace sources (export condition `source`), as
// packages/cli/build.mjs bundles the tools: one file that starts without resolving a
// dozen packages, chunks for code loaded with import() (the Linux host, the plugins).
// koffi stays external (a native module, resolved from node_modules at run time).
import { build } from 'esbuild';
import { chmod, readdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

// tsyringe and reflect-metadata are CommonJS: they call require(), which ESM lacks.
const banner = [
  '#!/usr/bin/env node',
  "import { createRequire as __vzkitCreateRequire } from 'node:module';",
  'const require = __vzkitCreateRequire(import.meta.url);',
].join('\n');

// The Linux host finds its launcher relative to the module's directory: chunks sit
// beside the entry (packages/vzkitd/dist reaches ../../linux/native/build/vzlaunch).
const dist = join(here, 'dist');
for (const f of await readdir(dist).catch(() => [])) {
  if (f.startsWith('part-')) await rm(join(dist, f), { force: true });
}

await build({
  absWorkingDir: here,
  entryPoints: { vzkitd: 'src/bin/vzkitd.ts' },
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

await chmod(join(here, 'dist', 'vzkitd.js'), 0o755);
