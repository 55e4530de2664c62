/** The `vzprocfs` binary: the server the procfs plugin declares, started by vzctl (not by hand). */
import { enableCompileCache } from 'node:module';

// See vzctl.ts: the code cache must be on before the main module loads.
enableCompileCache();
const { runTool } = await import('../tool.js');
const { processIo, exitWhenFlushed } = await import('./stdio.js');
await exitWhenFlushed(await runTool('vzprocfs', process.argv.slice(2), processIo()));
