/** The `vztmpl` binary: the tool the template plugin declares (list, create, remove, export, import). */
import { enableCompileCache } from 'node:module';

// See vzctl.ts: the code cache must be on before the main module loads.
enableCompileCache();
const { runTool } = await import('../tool.js');
const { processIo, exitWhenFlushed } = await import('./stdio.js');
await exitWhenFlushed(await runTool('vztmpl', process.argv.slice(2), processIo()));
