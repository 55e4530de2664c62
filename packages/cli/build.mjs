// Bundles the binaries (dist/vzctl.js, dist/vzlist.js, dist/vzubc.js, ... one per tool)
// with scripts/bundle.mjs: each starts without resolving a dozen packages.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleTools } from '../../scripts/bundle.mjs';

const here = dirname(fileURLToPath(import.meta.url));

/** One binary per tool, from src/bin/<tool>.ts (package.json's `bin` and scripts/setup.sh list the same). */
const TOOLS = [
  'vzctl', 'vzlist', 'vzubc', 'vzcpucheck', 'vztmpl', 'vzquota', 'vz',
  'vzpid', 'vzps', 'vztop', 'vzsplit', 'vzmemcheck', 'vzcalc', 'vzcfgvalidate', 'vzdump', 'vzrestore', 'vzprocfs',
];

await bundleTools(here, TOOLS);
