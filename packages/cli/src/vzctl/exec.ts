/** `vzctl exec CTID command...` (`-` reads commands from stdin); exit 8 when the command fails. */
import { vzError, type Runtime } from '@vzkit/core';
import { parseVerbArgs, type Verb } from './verb.js';
import { runInside, shellCommand } from './inside.js';

export interface ExecRequest {
  ctid: number;
  /** The command line, or `['-']` for commands on stdin. */
  command: string[];
}

/** exec and exec2 parse alike: the CTID, then the command, untouched. */
export async function parseExec(verb: Verb, argv: string[], rt: Runtime): Promise<ExecRequest> {
  const { ctid, args } = await parseVerbArgs(verb, argv, rt);
  if (args.rest.length === 0) throw vzError('BAD_PARAM', 'no command given', { hint: `usage: vzctl ${verb.name} ${verb.usage}` });
  return { ctid, command: args.rest };
}

export const execVerb: Verb = {
  name: 'exec',
  usage: 'CTID COMMAND [ARG...] | CTID -',
  summary: 'Run a command inside the container (exit 8 if it fails); - reads commands from stdin',
  commandTail: true,
  flags: () => [],
  async run(argv, { rt, io }) {
    const req = await parseExec(this, argv, rt);
    const code = await runInside(rt, req.ctid, shellCommand(req.command), io, { stdin: req.command[0] === '-' && req.command.length === 1 });
    if (code !== 0) throw vzError('EXEC_FAILED', `CT ${req.ctid}: command failed with exit status ${code}`);
    return 0;
  },
};
