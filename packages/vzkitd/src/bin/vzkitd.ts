/** The `vzkitd` binary. */
import { enableCompileCache } from 'node:module';

enableCompileCache();
const { main } = await import('../main.js');
const code = await main(process.argv.slice(2));
process.exit(code);
