// Bundles a package's binaries (dist/<tool>.js from src/bin/<tool>.ts) from the workspace
// sources (export condition `source`), so that they start without resolving a dozen
// packages. Code loaded with import() (the Linux host, the plugins) goes into chunks
// that load only when a command needs them. koffi stays external: it carries a native
// module and resolves at run time from node_modules. Used by packages/cli/build.mjs and
// packages/vzkitd/build.mjs.
import { build } from 'esbuild';
import { chmod, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

// tsyringe and reflect-metadata are CommonJS: they call require(), which ESM lacks.
const banner = [
  '#!/usr/bin/env node',
  "import { createRequire as __vzkitCreateRequire } from 'node:module';",
  'const require = __vzkitCreateRequire(import.meta.url);',
].join('\n');

/** Bundles `tools` of the package in directory `pkg` into pkg/dist, each executable. */
export async function bundleTools(pkg, tools) {
  // Chunks sit beside the entries (the Linux host finds its launcher relative to the
  // module's directory); their names carry content hashes, so drop the previous build's.
  const dist = join(pkg, 'dist');
  for (const f of await readdir(dist).catch(() => [])) {
    if (f.startsWith('part-')) await rm(join(dist, f), { force: true });
  }
  await build({
    absWorkingDir: pkg,
    entryPoints: Object.fromEntries(tools.map((t) => [t, `src/bin/${t}.ts`])),
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
  for (const t of tools) await chmod(join(dist, `${t}.js`), 0o755);
}
