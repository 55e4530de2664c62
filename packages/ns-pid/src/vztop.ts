/**
 * `vztop [-E CTID]... [top options]`: the host's procps `top` of the processes of the
 * VEs named by `-E` (0: the host's own), as OpenVZ's vztop. On a terminal, top itself
 * runs with `-p PIDS`, interactive as ever, for the processes there are when it starts
 * (top follows at most 20 pids). In batch mode (`-b`, or when stdout is no terminal) top
 * runs on the whole host and each frame keeps the rows of the VEs' processes, found
 * again every frame: any number of processes, new ones included. The summary lines at
 * the top of a frame are the host's. top's own -E (memory scale) is --scale-summary-mem.
 */
import { vzError, type CommandDecl, type Runtime } from '@vzkit/core';
import { pidColumnEnd, pidOfRow, selectedPids, takeVeOptions } from './ve-processes.js';

/** procps top's limit of `-p` pids. */
export const TOP_MAX_PIDS = 20;

/**
 * Filters top's batch output frame by frame: summary lines pass, the task table keeps the
 * rows whose PID `keep` accepts. `frame` runs at the start of each frame.
 */
export class FrameFilter {
  private end: number | undefined;

  constructor(private readonly keep: (pid: number) => boolean, private readonly emit: (line: string) => void, private readonly frame: () => void = () => {}) {}

  line(l: string): void {
    if (l.startsWith('top - ')) {
      this.end = undefined;
      this.frame();
      this.emit(l);
      return;
    }
    if (this.end === undefined) {
      this.end = pidColumnEnd(l);
      this.emit(l);
      return;
    }
    const pid = pidOfRow(l, this.end);
    if (pid === undefined || this.keep(pid)) this.emit(l);
  }
}

const isBatch = (args: readonly string[]) => args.some((a) => a === '--batch-mode' || /^-[A-Za-z0-9]*b/.test(a));

async function batch(api: Parameters<CommandDecl['run']>[0], rt: Runtime, ids: string[], args: string[]): Promise<number> {
  let pids = new Set(await selectedPids(rt, ids, 'vztop'));
  let refreshing = false;
  const filter = new FrameFilter((pid) => pids.has(pid), (l) => api.out(l), () => {
    if (refreshing) return;
    refreshing = true;
    // The next frames use the new set; processes that came or went since are caught up.
    void selectedPids(rt, ids, 'vztop').then((p) => (pids = new Set(p)), () => undefined).finally(() => (refreshing = false));
  });
  const r = await rt.host.processes.run(['top', ...(isBatch(args) ? [] : ['-b']), ...args], {
    onLine: (line, stream) => (stream === 'stdout' ? filter.line(line) : api.err(line)),
  });
  return r.code;
}

export const vztopCommand: CommandDecl = {
  tool: 'vztop',
  name: 'vztop',
  summary: 'top of the processes of containers (-E CTID; 0: the host)',
  usage: `Usage: vztop [-E CTID]... [top options]
  -E CTID   only the processes of this container (0: the host's own); repeatable
  any other option goes to top(1); -b (or no terminal) filters every frame`,
  async run(api, argv) {
    if (argv[0] === '--help' && argv.length === 1) {
      for (const line of this.usage.split('\n')) api.out(line);
      return 0;
    }
    const rt = api.runtime;
    const { ids, rest } = takeVeOptions(argv, 'vztop');
    const run = (args: string[]) => rt.host.processes.run(['top', ...args], { terminal: true }).catch((e: unknown) => {
      throw vzError('SYSTEM', `cannot run top: ${e instanceof Error ? e.message : String(e)}`, { exit: 1, hint: 'install procps' });
    });
    if (ids.length === 0) return (await run(rest)).code;
    if (isBatch(rest) || !api.terminal) return batch(api, rt, ids, rest);
    const pids = await selectedPids(rt, ids, 'vztop');
    if (pids.length > TOP_MAX_PIDS) {
      throw vzError('BAD_PARAM', `CT ${ids.join(', CT ')}: ${pids.length} processes, and top follows at most ${TOP_MAX_PIDS}`, {
        exit: 1, hint: `vztop -E ${ids[0]} -b shows them all, frame by frame; vzps -E ${ids[0]} lists them`,
      });
    }
    return (await run(['-p', pids.join(','), ...rest])).code;
  },
};
