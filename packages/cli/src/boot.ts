/**
 * `vz start|stop|restart|status`: what OpenVZ's /etc/init.d/vz did at host boot and shutdown.
 * `start` starts every VE with ONBOOT=yes that is not running, highest BOOTORDER first
 * (then by CTID), in one process, so Node's start-up is paid once for all of them;
 * `stop` stops every running VE, in the reverse order; `restart` stops them and starts the
 * ONBOOT ones and those that ran. A VE that fails is reported and
 * the rest go on; the exit status says whether all went well. contrib/vzkit.service
 * runs it under systemd.
 */
import { BOOTORDER, DISABLED, ONBOOT, definePlugin, isVzError, vzError, type CommandApi, type CommandDecl } from '@vzkit/core';

interface Entry {
  ctid: number;
  order: number;
}

const byBootOrder = (a: Entry, b: Entry) => b.order - a.order || a.ctid - b.ctid;

function parse(argv: string[], allowed: string[], usage: string): Set<string> {
  const bad = argv.find((a) => !allowed.includes(a));
  if (bad !== undefined) throw vzError('BAD_PARAM', `unknown argument ${bad}`, { hint: `usage: ${usage}` });
  return new Set(argv);
}

/** Runs `op` on each VE in turn; one line per VE; exit 1 when any failed. */
async function each(api: CommandApi, ctids: number[], verb: string, op: (ctid: number) => Promise<unknown>): Promise<number> {
  let failed = 0;
  for (const ctid of ctids) {
    try {
      await op(ctid);
      api.out(`CT ${ctid}: ${verb}`);
    } catch (e) {
      failed++;
      api.err(`vz: CT ${ctid}: ${isVzError(e) || e instanceof Error ? e.message.replace(new RegExp(`^CT ${ctid}:? ?`), '') : String(e)}`);
    }
  }
  if (ctids.length === 0) api.out(`no container to ${verb === 'started' ? 'start' : 'stop'}`);
  return failed ? 1 : 0;
}

const startCommand: CommandDecl = {
  tool: 'vz',
  name: 'start',
  summary: 'Start every VE with ONBOOT=yes, highest BOOTORDER first',
  usage: 'vz start',
  async run(api, argv) {
    parse(argv, [], 'vz start');
    const rows = await api.runtime.list();
    const todo = rows
      .filter((r) => r.status !== 'running' && r.config.get(ONBOOT) === true && r.config.get(DISABLED) !== true)
      .map((r) => ({ ctid: r.ctid, order: r.config.get(BOOTORDER) ?? 0 }))
      .sort(byBootOrder);
    return each(api, todo.map((e) => e.ctid), 'started', (ctid) => api.runtime.start(ctid));
  },
};

const stopCommand: CommandDecl = {
  tool: 'vz',
  name: 'stop',
  summary: 'Stop every running VE, lowest BOOTORDER first (--fast: kill at once)',
  usage: 'vz stop [--fast]',
  async run(api, argv) {
    const flags = parse(argv, ['--fast'], 'vz stop [--fast]');
    const rows = await api.runtime.list();
    const todo = rows
      .filter((r) => r.status === 'running')
      .map((r) => ({ ctid: r.ctid, order: r.config.get(BOOTORDER) ?? 0 }))
      .sort(byBootOrder)
      .reverse();
    return each(api, todo.map((e) => e.ctid), 'stopped', (ctid) => api.runtime.stop(ctid, { fast: flags.has('--fast') }));
  },
};

const restartCommand: CommandDecl = {
  tool: 'vz',
  name: 'restart',
  summary: 'Stop every running VE, then start the ONBOOT ones and those that ran (unless ONBOOT=no)',
  usage: 'vz restart [--fast]',
  async run(api, argv) {
    const flags = parse(argv, ['--fast'], 'vz restart [--fast]');
    const rows = await api.runtime.list();
    const ran = rows.filter((r) => r.status === 'running');
    const stopping = ran.map((r) => ({ ctid: r.ctid, order: r.config.get(BOOTORDER) ?? 0 })).sort(byBootOrder).reverse();
    const stopFailed = await each(api, stopping.map((e) => e.ctid), 'stopped', (ctid) => api.runtime.stop(ctid, { fast: flags.has('--fast') }));
    // vzctl's rule for ONBOOT unset: a VE that was running comes back; ONBOOT=no keeps it down.
    const wasRunning = new Set(ran.map((r) => r.ctid));
    const starting = (await api.runtime.list())
      .filter((r) => r.status !== 'running' && r.config.get(DISABLED) !== true)
      .filter((r) => r.config.get(ONBOOT) === true || (wasRunning.has(r.ctid) && !r.config.has(ONBOOT)))
      .map((r) => ({ ctid: r.ctid, order: r.config.get(BOOTORDER) ?? 0 }))
      .sort(byBootOrder);
    const startFailed = await each(api, starting.map((e) => e.ctid), 'started', (ctid) => api.runtime.start(ctid));
    return stopFailed || startFailed;
  },
};

const statusCommand: CommandDecl = {
  tool: 'vz',
  name: 'status',
  summary: 'How many VEs run, and which ONBOOT ones do not',
  usage: 'vz status',
  async run(api, argv) {
    parse(argv, [], 'vz status');
    const rows = await api.runtime.list();
    const running = rows.filter((r) => r.status === 'running');
    const down = rows.filter((r) => r.status !== 'running' && r.config.get(ONBOOT) === true && r.config.get(DISABLED) !== true).map((r) => r.ctid);
    api.out(`${running.length} of ${rows.length} containers running`);
    if (down.length) api.out(`ONBOOT but not running: ${down.join(' ')}`);
    return down.length ? 3 : 0;
  },
};

/** The boot service's commands, as a plugin of the default composition (it owns no key). */
export const bootPlugin = definePlugin({
  name: '@vzkit/cli-boot',
  hooks: {},
  commands: [startCommand, stopCommand, restartCommand, statusCommand],
});
