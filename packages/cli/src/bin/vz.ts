/** The `vz` binary: the boot service (vz start|stop|status). */
import { enableCompileCache } from 'node:module';

// See vzctl.ts: the code cache must be on before the main module loads.
enableCompileCache();
const { processIo, exitWhenFlushed } = await import('./stdio.js');
const argv = process.argv.slice(2);
// `vz start` brings up vzkitd first where vz.conf asks for it (VZKITD=yes), then starts
// the VEs in it, so that it is their inits' parent (src/forward.ts, src/daemon-start.ts).
if (argv[0] === 'start') await (await import('../daemon-start.js')).ensureDaemon(processIo());
const { forwardToDaemon } = await import('../forward.js');
const forwarded = await forwardToDaemon('vz', argv, processIo());
if (forwarded !== undefined) await exitWhenFlushed(forwarded);
const { runTool } = await import('../tool.js');
await exitWhenFlushed(await runTool('vz', argv, processIo()));
