/** `vzctl restart CTID`: stop if running, then start; takes both verbs' flags. */
import { hasFlag } from '../args.js';
import { announced } from './announce.js';
import { PARALLEL_FLAG, runOnList } from './bulk-verb.js';
import { parseVerbArgs, type Verb } from './verb.js';

export interface RestartRequest {
  ctid: number;
  fast: boolean;
  force: boolean;
  wait: boolean;
}

export const restartVerb: Verb = {
  name: 'restart',
  usage: 'CTID|LIST [--wait] [--force] [--fast] [--parallel N]',
  summary: 'Stop the container if it runs, then start it',
  flags: () => [
    { name: 'wait', description: "return only when the container's init runs" },
    { name: 'force', description: 'start even if the container is disabled' },
    { name: 'fast', description: 'kill at once instead of a clean halt' },
    PARALLEL_FLAG,
  ],
  async run(argv, ctx) {
    const { rt, out } = ctx;
    const many = await runOnList(this, argv, ctx, 'restarted', (ctid, a) => rt.restart(ctid, { fast: hasFlag(a, 'fast'), force: hasFlag(a, 'force') }));
    if (many !== undefined) return many;
    const { ctid, args } = await parseVerbArgs(this, argv, rt);
    const req: RestartRequest = { ctid, fast: hasFlag(args, 'fast'), force: hasFlag(args, 'force'), wait: hasFlag(args, 'wait') };
    // The runtime restarts under one lock; its events place the messages in time.
    out.info('Restarting container');
    await announced(rt, ctid, {
      've:stopping': () => out.info('Stopping container ...'),
      've:stopped': () => {
        out.info('Container was stopped');
        out.info('Container is unmounted');
      },
      've:starting': () => out.info('Starting container...'),
    }, () => rt.restart(req.ctid, { fast: req.fast, force: req.force }));
    out.info(req.wait ? 'Container started successfully' : 'Container start in progress...');
    return 0;
  },
};
