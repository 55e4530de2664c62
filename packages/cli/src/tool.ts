/**
 * The entry of tools that plugins add (`vzubc` from ubc, `vzquota` from quota): the
 * composition's commands for that tool. A tool with one command named like itself gets
 * the whole argv; otherwise the first argument picks the command.
 */
import { vzError } from '@vzkit/core';
import { commandHelp, columns } from './help.js';
import { Printer, type CliIo } from './io.js';
import { reportFailure } from './report.js';
import { defaultRuntimeFactory, type RuntimeFactory } from './runtime-factory.js';
import { runCommand, type RunOptions } from './vzctl/main.js';

/** Runs `tool` with argv (without the program name); resolves with the exit status. */
export async function runTool(tool: string, argv: string[], io: CliIo, runtimeFactory: RuntimeFactory = defaultRuntimeFactory, opts: RunOptions = {}): Promise<number> {
  const out = new Printer(io, tool);
  try {
    const runtime = (hostNeeded: boolean) => runtimeFactory({ root: undefined, log: out.logger(), hostNeeded });
    const declared = (await runtime(false)).commands.filter((c) => c.tool === tool);
    if (declared.length === 0) throw vzError('BAD_PARAM', `no plugin of this composition provides the tool ${tool}`);
    const whole = declared.length === 1 && declared[0]!.name === tool;
    const name = whole ? tool : argv[0];
    const args = whole ? argv : argv.slice(1);
    if (name === undefined || name === '--help') {
      out.out(`Usage: ${tool} COMMAND [ARG...]`);
      for (const line of columns(declared.map((c) => [c.name, c.summary]))) out.out(line);
      return name === undefined ? 20 : 0;
    }
    const cmd = declared.find((c) => c.name === name);
    if (!cmd) throw vzError('BAD_PARAM', `unknown command '${name}'`, { hint: `see '${tool} --help'` });
    if (args[0] === '--help' && !whole) {
      for (const line of commandHelp(cmd)) out.out(line);
      return 0;
    }
    const rt = await runtime(true);
    return await runCommand(rt.commands.find((c) => c.tool === tool && c.name === name)!, rt, args, out);
  } catch (e) {
    if (opts.rethrow) throw e;
    return reportFailure(e, out);
  }
}
