/** The `vzquota` binary: the tool the quota plugin declares (`stat`, `show`). */
import { enableCompileCache } from 'node:module';

// See vzctl.ts: the code cache must be on before the main module loads.
enableCompileCache();
const { runTool } = await import('../tool.js');
const { processIo, exitWhenFlushed } = await import('./stdio.js');
await exitWhenFlushed(await runTool('vzquota', process.argv.slice(2), processIo()));
