/**
 * What every vzctl verb is: its flags (some generated from the runtime's declarations),
 * the parsing of argv into a typed request, and one call into the Runtime. The verb
 * files hold nothing else (youki's liboci-cli shape).
 */
import { isVzError, vzError, wrapError, type Runtime } from '@vzkit/core';
import { parseArgs, type FlagSpec, type ParsedArgs } from '../args.js';
import type { CliIo, Printer } from '../io.js';

export interface VerbContext {
  rt: Runtime;
  out: Printer;
  io: CliIo;
}

export interface Verb {
  name: string;
  aliases?: readonly string[];
  /** `CTID [--fast] [--skip-umount]` */
  usage: string;
  summary: string;
  flags(rt: Runtime): FlagSpec[];
  /**
   * exec-like verbs: everything after the CTID belongs to the command run inside, so
   * `--help` is recognised only right after the verb.
   */
  commandTail?: boolean;
  /** Runs the verb; argv is what followed its name. Resolves with the exit status. */
  run(argv: string[], ctx: VerbContext): Promise<number>;
}

/** Parses a verb's argv: its flags and exactly one CTID (a number or a --name). */
export async function parseVerbArgs(verb: Verb, argv: string[], rt: Runtime): Promise<{ ctid: number; args: ParsedArgs }> {
  const command = `vzctl ${verb.name}`;
  let args: ParsedArgs;
  try {
    args = parseArgs(argv, verb.flags(rt), verb.commandTail ? { command, stopAfter: 1 } : { command });
  } catch (e) {
    // A bad flag is still about a CT: name it, as every other refusal does.
    const id = argv.find((a) => /^\d+$/.test(a));
    throw id !== undefined && isVzError(e) ? wrapError(e, `CT ${id}`, { about: `CT ${id}` }) : e;
  }
  const ctid = await ctidOf(args.positionals, command, rt);
  return { ctid, args };
}

/** The one CTID a verb takes; a missing or extra argument is BAD_PARAM. */
export async function ctidOf(positionals: string[], command: string, rt: Runtime): Promise<number> {
  const [id, ...extra] = positionals;
  if (id === undefined) throw vzError('BAD_PARAM', 'CT ID is not given', { hint: `usage: see '${command} --help'` });
  if (extra.length) throw vzError('BAD_PARAM', `CT ${id}: unexpected argument '${extra[0]}' for '${command}'`, { hint: `see '${command} --help'` });
  return rt.resolveId(id);
}
