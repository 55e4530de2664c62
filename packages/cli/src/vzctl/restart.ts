/** `vzctl restart CTID`: stop if running, then start; takes both verbs' flags. */
import { hasFlag } from '../args.js';
import { parseVerbArgs, type Verb } from './verb.js';

export interface RestartRequest {
  ctid: number;
  fast: boolean;
  force: boolean;
  wait: boolean;
}

export const restartVerb: Verb = {
  name: 'restart',
  usage: 'CTID [--wait] [--force] [--fast]',
  summary: 'Stop the container if it runs, then start it',
  flags: () => [
    { name: 'wait', description: "return only when the container's init runs" },
    { name: 'force', description: 'start even if the container is disabled' },
    { name: 'fast', description: 'kill at once instead of a clean halt' },
  ],
  async run(argv, { rt, out }) {
    const { ctid, args } = await parseVerbArgs(this, argv, rt);
    const req: RestartRequest = { ctid, fast: hasFlag(args, 'fast'), force: hasFlag(args, 'force'), wait: hasFlag(args, 'wait') };
    // The runtime restarts under one lock; its events place the messages in time.
    const mine = (id: number) => id === req.ctid;
    const onStopping = (id: number) => mine(id) && out.info('Stopping container ...');
    const onStopped = (id: number) => {
      if (mine(id)) {
        out.info('Container was stopped');
        out.info('Container is unmounted');
      }
    };
    const onStarting = (id: number) => mine(id) && out.info('Starting container...');
    rt.events.on('ve:stopping', onStopping).on('ve:stopped', onStopped).on('ve:starting', onStarting);
    try {
      out.info('Restarting container');
      await rt.restart(req.ctid, { fast: req.fast, force: req.force });
    } finally {
      rt.events.off('ve:stopping', onStopping).off('ve:stopped', onStopped).off('ve:starting', onStarting);
    }
    out.info(req.wait ? 'Container started successfully' : 'Container start in progress...');
    return 0;
  },
};
