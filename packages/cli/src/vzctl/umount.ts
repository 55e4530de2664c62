/** `vzctl umount CTID`. */
import { parseVerbArgs, type Verb } from './verb.js';

export interface UmountRequest {
  ctid: number;
}

export const umountVerb: Verb = {
  name: 'umount',
  usage: 'CTID',
  summary: "Unmount the root of a container that does not run",
  flags: () => [],
  async run(argv, { rt, out }) {
    const { ctid }: UmountRequest = await parseVerbArgs(this, argv, rt);
    await rt.umount(ctid);
    out.info('Container is unmounted');
    return 0;
  },
};
