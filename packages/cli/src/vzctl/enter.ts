/**
 * `vzctl enter CTID [--exec COMMAND [ARG...]]`: a root shell inside the container, on a
 * new pty when stdin is a terminal. With --exec the command is the shell's first input
 * and the shell stays (OpenVZ: "you still log out manually").
 */
import { VE_ROOT, substituteCtid, vzError, type Runtime } from '@vzkit/core';
import { parseArgs } from '../args.js';
import { runInside } from './inside.js';
import { ctidOf, type Verb } from './verb.js';

export interface EnterRequest {
  ctid: number;
  /** Command line run first in the shell. */
  exec: string[] | undefined;
  tty: boolean;
}

/**
 * The guest's bash when it has one (seen through its root mounted on the host, by the
 * guest-file API: nothing the VE links is followed), else sh. /bin is a link to usr/bin
 * on merged-/usr systems, so both places are looked at.
 */
async function guestShell(rt: Runtime, ctid: number): Promise<string> {
  const root = (await rt.config(ctid)).get(VE_ROOT);
  if (root === undefined) return '/bin/sh';
  for (const rel of ['bin/bash', 'usr/bin/bash']) {
    const st = await rt.host.guestFs.stat(substituteCtid(root, ctid), rel).catch(() => undefined);
    if (st?.type === 'file') return '/bin/bash';
  }
  return '/bin/sh';
}

export const enterVerb: Verb = {
  name: 'enter',
  usage: 'CTID [--exec COMMAND [ARG...]]',
  summary: 'Open a root shell inside the container (on a new pty when stdin is a terminal)',
  commandTail: true,
  flags: () => [],
  async run(argv, { rt, io, out }) {
    const command = 'vzctl enter';
    const { positionals, rest } = parseArgs(argv, [], { command, stopAfter: 1 });
    const ctid = await ctidOf(positionals, command, rt);
    let exec: string[] | undefined;
    if (rest.length) {
      if (rest[0] !== '--exec') throw vzError('BAD_PARAM', `unrecognized option ${rest[0]} for '${command}'`, { hint: `usage: ${command} ${this.usage}` });
      if (rest.length === 1) throw vzError('BAD_PARAM', 'option --exec needs an argument (COMMAND)', { hint: `usage: ${command} ${this.usage}` });
      exec = rest.slice(1);
    }
    const req: EnterRequest = { ctid, exec, tty: io.isTTY };
    // "entered into CT" only for a VE one can enter: a stopped one is refused before it.
    if (!(await rt.status(req.ctid)).running) throw vzError('VE_NOT_RUNNING', `CT ${req.ctid} is not running`);
    const shell = await guestShell(rt, req.ctid);
    const line = req.exec?.join(' ');
    // On the process's own terminal the first input cannot be injected: the shell runs it, then itself again.
    const argvInside = line !== undefined && io.inherit ? [shell, '-c', `${line}; exec ${shell} -l`] : [shell, '-l'];
    out.info(`entered into CT ${req.ctid}`);
    const code = await runInside(rt, req.ctid, argvInside, io, {
      stdin: true,
      tty: req.tty,
      ...(line !== undefined && !io.inherit ? { inputPrefix: `${line}\n` } : {}),
    });
    out.info(`exited from CT ${req.ctid}`);
    return code;
  },
};
