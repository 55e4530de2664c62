/** The `vzpid` binary: the tool ns-pid declares (which VE a host process is in). */
import { enableCompileCache } from 'node:module';

// See vzctl.ts: the code cache must be on before the main module loads.
enableCompileCache();
const { runTool } = await import('../tool.js');
const { processIo, exitWhenFlushed } = await import('./stdio.js');
await exitWhenFlushed(await runTool('vzpid', process.argv.slice(2), processIo()));
