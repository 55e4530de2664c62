/** The `vzlist` binary. */
import { runVzlist } from '../vzlist/main.js';
import { processIo } from './stdio.js';

process.exit(await runVzlist(process.argv.slice(2), processIo()));
