/** The `vzctl` binary. */
import { runVzctl } from '../vzctl/main.js';
import { processIo } from './stdio.js';

process.exit(await runVzctl(process.argv.slice(2), processIo()));
