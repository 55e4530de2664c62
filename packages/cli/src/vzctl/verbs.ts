/** The built-in vzctl verbs, in the order `--help` lists them. */
import { consoleVerb } from './console.js';
import { createVerb } from './create.js';
import { destroyVerb } from './destroy.js';
import { enterVerb } from './enter.js';
import { execVerb } from './exec.js';
import { exec2Verb } from './exec2.js';
import { mountVerb } from './mount.js';
import { restartVerb } from './restart.js';
import { runscriptVerb } from './runscript.js';
import { setVerb } from './set.js';
import { startVerb } from './start.js';
import { statusVerb } from './status.js';
import { stopVerb } from './stop.js';
import { umountVerb } from './umount.js';
import type { Verb } from './verb.js';

export const VERBS: readonly Verb[] = [
  createVerb, destroyVerb, mountVerb, umountVerb, startVerb, stopVerb, restartVerb, statusVerb,
  setVerb, execVerb, exec2Verb, enterVerb, consoleVerb, runscriptVerb,
];

export function findVerb(name: string): Verb | undefined {
  return VERBS.find((v) => v.name === name || v.aliases?.includes(name));
}
