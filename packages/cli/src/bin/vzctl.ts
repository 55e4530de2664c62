/** The `vzctl` binary. */
import { enableCompileCache } from 'node:module';

// V8's code cache (in the OS temp dir) halves the time spent compiling the bundle on
// every run after the first; the main module is loaded only once it is enabled.
enableCompileCache();
const { runVzctl } = await import('../vzctl/main.js');
const { processIo, exitWhenFlushed } = await import('./stdio.js');
await exitWhenFlushed(await runVzctl(process.argv.slice(2), processIo()));
