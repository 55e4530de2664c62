// Bundles dist/vzkitd.js as packages/cli/build.mjs bundles the tools (scripts/bundle.mjs).
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleTools } from '../../scripts/bundle.mjs';

await bundleTools(dirname(fileURLToPath(import.meta.url)), ['vzkitd']);
