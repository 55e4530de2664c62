/** `vzctl start CTID [--wait] [--force]`. */
import { hasFlag } from '../args.js';
import { announced } from './announce.js';
import { PARALLEL_FLAG, runOnList } from './bulk-verb.js';
import { parseVerbArgs, type Verb } from './verb.js';

export interface StartRequest {
  ctid: number;
  /** OpenVZ waits for the guest's runlevel; vzkit returns once init has been exec'd. */
  wait: boolean;
  /** Start even when DISABLED=yes. */
  force: boolean;
}

export const startVerb: Verb = {
  name: 'start',
  usage: 'CTID|LIST [--wait] [--force] [--parallel N]',
  summary: 'Mount the container and start its init',
  flags: () => [
    { name: 'wait', description: "return only when the container's init runs (vzkit: when init has been executed)" },
    { name: 'force', description: 'start even if the container is disabled (DISABLED=yes)' },
    PARALLEL_FLAG,
  ],
  async run(argv, ctx) {
    const { rt, out } = ctx;
    const many = await runOnList(this, argv, ctx, 'started', (ctid, a) => rt.start(ctid, { force: hasFlag(a, 'force') }));
    if (many !== undefined) return many;
    const { ctid, args } = await parseVerbArgs(this, argv, rt);
    const req: StartRequest = { ctid, wait: hasFlag(args, 'wait'), force: hasFlag(args, 'force') };
    await announced(rt, ctid, { 've:starting': () => out.info('Starting container...') }, () => rt.start(req.ctid, { force: req.force }));
    if (req.wait) {
      out.info('Container start in progress, waiting ...');
      out.info('Container started successfully');
    } else {
      out.info('Container start in progress...');
    }
    return 0;
  },
};
