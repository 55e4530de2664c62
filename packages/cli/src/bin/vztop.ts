/** The `vztop` binary: the tool ns-pid declares (top of a VE's processes). */
import { enableCompileCache } from 'node:module';

// See vzctl.ts: the code cache must be on before the main module loads.
enableCompileCache();
const { runTool } = await import('../tool.js');
const { processIo, exitWhenFlushed } = await import('./stdio.js');
await exitWhenFlushed(await runTool('vztop', process.argv.slice(2), processIo()));
