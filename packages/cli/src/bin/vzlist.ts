/** The `vzlist` binary. */
import { enableCompileCache } from 'node:module';

// See vzctl.ts: the code cache must be on before the main module loads.
enableCompileCache();
const { runVzlist } = await import('../vzlist/main.js');
const { processIo, exitWhenFlushed } = await import('./stdio.js');
await exitWhenFlushed(await runVzlist(process.argv.slice(2), processIo()));
