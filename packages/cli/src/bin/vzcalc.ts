/** The `vzcalc` binary: the tool the ubc plugin declares (a VE's share of the host). */
import { enableCompileCache } from 'node:module';

// See vzctl.ts: the code cache must be on before the main module loads.
enableCompileCache();
const { runTool } = await import('../tool.js');
const { processIo, exitWhenFlushed } = await import('./stdio.js');
await exitWhenFlushed(await runTool('vzcalc', process.argv.slice(2), processIo()));
