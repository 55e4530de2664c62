/**
 * How a failure reaches the administrator: one line `<tool>: <message>`, a hint on a
 * second line when there is one, and the documented exit number. Stack traces only with
 * VZKIT_DEBUG=1; failures of a rollback that ran after the error with --verbose.
 */
import { EXIT_CODES, isVzError } from '@vzkit/core';
import type { Printer } from './io.js';

const oneLine = (s: string) => s.replace(/\s*\n\s*/g, ' ').trim();

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Prints the failure and returns the exit status. */
export function reportFailure(e: unknown, out: Printer, env: NodeJS.ProcessEnv = process.env): number {
  const debug = env.VZKIT_DEBUG === '1';
  if (isVzError(e)) {
    out.error(`${out.prog}: ${oneLine(e.message)}`);
    if (e.hint) out.error(`  hint: ${oneLine(e.hint)}`);
    if (debug || out.verbosity > 0) {
      for (const c of e.cleanupErrors) out.error(`  also: ${oneLine(messageOf(c))}`);
    }
    if (debug && e.stack) out.error(e.stack);
    return e.exit;
  }
  out.error(`${out.prog}: ${oneLine(messageOf(e))}`);
  if (debug && e instanceof Error && e.stack) out.error(e.stack);
  return EXIT_CODES.SYSTEM;
}
