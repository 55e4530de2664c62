/** Where the built launcher binary is, for every way vzkit can be laid out on disk. */
import { accessSync, constants } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { vzError } from '@vzkit/core';

const BINARY = 'native/build/vzlaunch';

/**
 * Candidate paths, relative to the module that asks: src/launcher/ and dist/launcher/
 * of @vzkit/linux, a single-file bundle in @vzkit/linux's dist/, and a CLI bundle in
 * packages/cli/dist that reaches the sibling linux package.
 */
export function launcherCandidates(moduleUrl: string = import.meta.url): string[] {
  const here = dirname(fileURLToPath(moduleUrl));
  return [...new Set([resolve(here, '../..', BINARY), resolve(here, '..', BINARY), resolve(here, '../../linux', BINARY)])];
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The launcher to use: `explicit` (an option), else $VZKIT_LAUNCHER, else the first built
 * candidate. Fails with a message that says how to build it.
 */
export function findLauncher(explicit?: string, moduleUrl?: string): string {
  const chosen = explicit ?? process.env.VZKIT_LAUNCHER;
  if (chosen) {
    if (isExecutable(chosen)) return chosen;
    throw vzError('SYSTEM', `vzkit launcher not found or not executable: ${chosen}`, { path: chosen, hint: 'run pnpm build, or fix VZKIT_LAUNCHER' });
  }
  const candidates = launcherCandidates(moduleUrl);
  const found = candidates.find(isExecutable);
  if (found) return found;
  throw vzError('SYSTEM', 'vzkit launcher not built: run pnpm build', { hint: `looked for ${candidates.join(', ')}` });
}
