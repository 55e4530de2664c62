// Bundles the binaries: dist/vzctl.js, dist/vzlist.js, dist/vzubc.js, dist/vzcpucheck.js, dist/vztmpl.js, dist/vzquota.js and dist/vz.js, from the workspace sources
// (export condition `source`), so they start without resolving a dozen packages.
// Code loaded with import() (the Linux host, the plugins) goes into chunks that load
// only when a command needs them. koffi stays external: it carries a native module and
// resolves at run time from packages/cli/node_modules or the workspace root.
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

// Chunks sit beside the entries (the Linux host finds its launcher relative to the
// module's directory); their names carry content hashes, so drop the previous build's.
const dist = join(here, 'dist');
for (const f of await readdir(dist).catch(() => [])) {
  if (f.startsWith('part-')) await rm(join(dist, f), { force: true });
}

await build({
  absWorkingDir: here,
  entryPoints: { vzctl: 'src/bin/vzctl.ts', vzlist: 'src/bin/vzlist.ts', vzubc: 'src/bin/vzubc.ts', vzcpucheck: 'src/bin/vzcpucheck.ts', vztmpl: 'src/bin/vztmpl.ts', vzquota: 'src/bin/vzquota.ts', vz: 'src/bin/vz.ts' },
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

for (const bin of ['vzctl.js', 'vzlist.js', 'vzubc.js', 'vzcpucheck.js', 'vztmpl.js', 'vzquota.js', 'vz.js']) await chmod(join(here, 'dist', bin), 0o755);
