/** `vzctl mount CTID`: the container's root at VE_ROOT without starting it. */
import { parseVerbArgs, type Verb } from './verb.js';

export interface MountRequest {
  ctid: number;
}

export const mountVerb: Verb = {
  name: 'mount',
  usage: 'CTID',
  summary: "Mount the container's root on the host without starting it",
  flags: () => [],
  async run(argv, { rt, out }) {
    const { ctid }: MountRequest = await parseVerbArgs(this, argv, rt);
    await rt.mount(ctid);
    out.info('Container is mounted');
    return 0;
  },
};
