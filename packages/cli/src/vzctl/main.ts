/**
 * `vzctl [flags] COMMAND CTID [options]`: global flags, then a built-in verb or a verb a
 * plugin declared in `commands`. Every failure ends here: one line on stderr and the
 * documented exit status.
 */
import { vzError, type CommandDecl, type Runtime } from '@vzkit/core';
import { countFlag, flagValue, hasFlag, parseArgs } from '../args.js';
import { commandHelp, GLOBAL_FLAGS, verbHelp, vzctlHelp } from '../help.js';
import { Printer, readAll, readLine, type CliIo } from '../io.js';
import { reportFailure } from '../report.js';
import { defaultRuntimeFactory, type RuntimeFactory } from '../runtime-factory.js';
import { VERSION } from '../version.js';
import { findVerb, VERBS } from './verbs.js';

/** How an embedder (vzkitd) runs a tool. */
export interface RunOptions {
  /** Throw the failure (a VzError) instead of printing its line and resolving with its exit number. */
  rethrow?: boolean;
}

/** Runs vzctl with argv (without the program name); resolves with the exit status. */
export async function runVzctl(argv: string[], io: CliIo, runtimeFactory: RuntimeFactory = defaultRuntimeFactory, opts: RunOptions = {}): Promise<number> {
  const out = new Printer(io, 'vzctl');
  try {
    const g = parseArgs(argv, GLOBAL_FLAGS, { command: 'vzctl', stopAfter: 1 });
    out.quiet = hasFlag(g, 'quiet');
    out.verbosity = countFlag(g, 'verbose');
    if (hasFlag(g, 'version')) {
      out.out(`vzctl version ${VERSION}`);
      return 0;
    }
    const root = flagValue(g, 'root');
    const runtime = async (hostNeeded: boolean): Promise<Runtime> => {
      const rt = await runtimeFactory({ root, log: out.logger(), hostNeeded });
      rt.events.on('warning', (_ctid, message) => out.warn(`WARNING: ${message}`));
      return rt;
    };
    const name = g.positionals[0];
    if (hasFlag(g, 'help')) {
      for (const line of vzctlHelp(VERBS, await runtime(false))) out.out(line);
      return 0;
    }
    if (name === undefined) throw vzError('BAD_PARAM', 'no command given', { hint: "see 'vzctl --help'" });
    const args = g.rest;
    const verb = findVerb(name);
    if (verb) {
      const end = args.indexOf('--');
      const wantsHelp = verb.commandTail ? args[0] === '--help' : (end < 0 ? args : args.slice(0, end)).includes('--help');
      if (wantsHelp) {
        for (const line of verbHelp(verb, await runtime(false))) out.out(line);
        return 0;
      }
      return await verb.run(args, { rt: await runtime(true), out, io });
    }
    // Not built in: a verb some plugin adds (`vzctl runscript`, ...). Looking it up needs only declarations.
    const declared = findCommand(await runtime(false), 'vzctl', name);
    if (!declared) throw vzError('BAD_PARAM', `unknown command '${name}'`, { hint: "see 'vzctl --help'" });
    if (args[0] === '--help') {
      for (const line of commandHelp(declared)) out.out(line);
      return 0;
    }
    const rt = await runtime(true);
    return await runCommand(findCommand(rt, 'vzctl', name)!, rt, args, out);
  } catch (e) {
    if (opts.rethrow) throw e;
    return reportFailure(e, out);
  }
}

export function findCommand(rt: Runtime, tool: string, name: string): CommandDecl | undefined {
  return rt.commands.find((c) => c.tool === tool && c.name === name);
}

/** Runs a plugin's command with the runtime and the tool's streams. */
export function runCommand(cmd: CommandDecl, rt: Runtime, argv: string[], out: Printer): Promise<number> {
  const { io } = out;
  return cmd.run({
    runtime: rt,
    out: (line) => out.out(line),
    err: (line) => out.error(line),
    input: (opts) => (opts?.line ? readLine(io.stdin) : readAll(io.stdin)),
    terminal: io.stdoutIsTTY ?? false,
    ...(io.self ? { self: io.self } : {}),
  }, argv);
}
