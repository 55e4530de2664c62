/**
 * `vzctl runscript CTID SCRIPT [ARG...]`: a shell script kept on the host runs inside the
 * running VE (OpenVZ's mass-management helper); the exit status is the script's own.
 */
import { readFile } from 'node:fs/promises';
import { vzError } from '@vzkit/core';
import { parseExec } from './exec.js';
import { runInside } from './inside.js';
import type { Verb } from './verb.js';

/** MAX_ARG_STRLEN of linux/binfmts.h: 32 pages. */
const MAX_ARG_STRLEN = 131072;

export const runscriptVerb: Verb = {
  name: 'runscript',
  usage: 'CTID SCRIPT [ARG...]',
  summary: "Run a shell script from the host inside the container; exit with the script's status",
  commandTail: true,
  flags: () => [],
  async run(argv, { rt, io }) {
    const { ctid, command: [script, ...args] } = await parseExec(this, argv, rt);
    let text: string;
    try {
      text = await readFile(script!, 'utf8');
    } catch (e) {
      throw vzError('BAD_PARAM', `CT ${ctid}: cannot read script ${script}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    // The script travels as `sh -c`'s argument: nothing is written into the VE's files,
    // and the command keeps vzctl's stdin and output. The kernel caps one argument.
    if (Buffer.byteLength(text) >= MAX_ARG_STRLEN) throw vzError('BAD_PARAM', `CT ${ctid}: script ${script} is larger than ${MAX_ARG_STRLEN / 1024} KiB`);
    return runInside(rt, ctid, ['/bin/sh', '-c', text, script!, ...args], io);
  },
};
