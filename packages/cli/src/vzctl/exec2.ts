/** `vzctl exec2 CTID command...`: like exec, but the exit status is the command's own. */
import { parseExec } from './exec.js';
import { runInside, shellCommand } from './inside.js';
import type { Verb } from './verb.js';

export const exec2Verb: Verb = {
  name: 'exec2',
  usage: 'CTID COMMAND [ARG...] | CTID -',
  summary: "Run a command inside the container; exit with the command's status",
  commandTail: true,
  flags: () => [],
  async run(argv, { rt, io }) {
    const req = await parseExec(this, argv, rt);
    return runInside(rt, req.ctid, shellCommand(req.command), io, { stdin: req.command[0] === '-' && req.command.length === 1 });
  },
};
