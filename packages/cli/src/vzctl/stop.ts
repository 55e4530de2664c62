/** `vzctl stop CTID [--fast] [--skip-umount]`. */
import { hasFlag } from '../args.js';
import { announced } from './announce.js';
import { PARALLEL_FLAG, runOnList } from './bulk-verb.js';
import { parseVerbArgs, type Verb } from './verb.js';

export interface StopRequest {
  ctid: number;
  /** Kill at once instead of asking the guest to halt. */
  fast: boolean;
  skipUmount: boolean;
}

export const stopVerb: Verb = {
  name: 'stop',
  usage: 'CTID|LIST [--fast] [--skip-umount] [--parallel N]',
  summary: 'Halt the container (kill what is left after STOP_TIMEOUT) and unmount it',
  flags: () => [
    { name: 'fast', description: 'kill all processes at once instead of a clean halt' },
    { name: 'skip-umount', description: "leave the container's root mounted on the host" },
    PARALLEL_FLAG,
  ],
  async run(argv, ctx) {
    const { rt, out } = ctx;
    const many = await runOnList(this, argv, ctx, 'stopped', (ctid, a) => rt.stop(ctid, { fast: hasFlag(a, 'fast'), skipUmount: hasFlag(a, 'skip-umount') }));
    if (many !== undefined) return many;
    const { ctid, args } = await parseVerbArgs(this, argv, rt);
    const req: StopRequest = { ctid, fast: hasFlag(args, 'fast'), skipUmount: hasFlag(args, 'skip-umount') };
    await announced(rt, ctid, { 've:stopping': () => out.info('Stopping container ...') },
      () => rt.stop(req.ctid, { fast: req.fast, skipUmount: req.skipUmount }));
    out.info('Container was stopped');
    if (!req.skipUmount) out.info('Container is unmounted');
    return 0;
  },
};
