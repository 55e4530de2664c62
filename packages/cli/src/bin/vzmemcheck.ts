/** The `vzmemcheck` binary: the tool the ubc plugin declares (memory promised against the host). */
import { enableCompileCache } from 'node:module';

// See vzctl.ts: the code cache must be on before the main module loads.
enableCompileCache();
const { runTool } = await import('../tool.js');
const { processIo, exitWhenFlushed } = await import('./stdio.js');
await exitWhenFlushed(await runTool('vzmemcheck', process.argv.slice(2), processIo()));
