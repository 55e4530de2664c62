/** `vzctl status CTID`: one line, `CTID 101 exist mounted running`; exit 0 for any valid CTID. */
import type { VeStatusInfo } from '@vzkit/core';
import { parseVerbArgs, type Verb } from './verb.js';

export interface StatusRequest {
  ctid: number;
}

/** The OpenVZ status line (`deleted unmounted down` for a VE that does not exist). */
export function statusLine(s: VeStatusInfo): string {
  return `CTID ${s.ctid} ${s.exist ? 'exist' : 'deleted'} ${s.mounted ? 'mounted' : 'unmounted'} ${s.running ? 'running' : 'down'}`;
}

export const statusVerb: Verb = {
  name: 'status',
  usage: 'CTID',
  summary: 'Print whether the container exists, is mounted and runs',
  flags: () => [],
  async run(argv, { rt, out }) {
    const { ctid }: StatusRequest = await parseVerbArgs(this, argv, rt);
    out.out(statusLine(await rt.status(ctid)));
    return 0;
  },
};
