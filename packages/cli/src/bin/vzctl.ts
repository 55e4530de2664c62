/** The `vzctl` binary. */
import { enableCompileCache } from 'node:module';

// V8's code cache (in the OS temp dir) halves the time spent compiling the bundle on
// every run after the first; the main module is loaded only once it is enabled.
enableCompileCache();
const { processIo, exitWhenFlushed } = await import('./stdio.js');
// A command that starts VEs runs in vzkitd when one serves this root (src/forward.ts).
const { forwardToDaemon } = await import('../forward.js');
const argv = process.argv.slice(2);
const forwarded = await forwardToDaemon('vzctl', argv, processIo());
if (forwarded !== undefined) await exitWhenFlushed(forwarded);
const { runVzctl } = await import('../vzctl/main.js');
await exitWhenFlushed(await runVzctl(argv, processIo()));
