/**
 * `vzps [-E CTID]... [ps options]`: the host's procps `ps`, limited to the processes of
 * the VEs named by `-E` (0: the host's own, in no VE), as OpenVZ's vzps. The selection
 * is handed to ps as `-p PIDS`, so ps's own options (`-f`, `aux`, `-o ...`) work as
 * usual; rows whose PID is in no named VE are then dropped, since ps adds what its other
 * selection options (`-e`, `ax`) pick. Pids are the host's, as on OpenVZ.
 */
import { vzError, type CommandDecl } from '@vzkit/core';
import { pidColumnEnd, pidOfRow, selectedPids, takeVeOptions } from './ve-processes.js';

/**
 * Keeps the header and the rows of the pids wanted; a table without a PID header (ps's
 * `h`, `--no-headers`, `-o` without pid) cannot be checked and stays as ps printed it.
 */
export function keepRows(output: string, pids: ReadonlySet<number>): string[] {
  const lines = output.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const end = lines.length ? pidColumnEnd(lines[0]!) : undefined;
  if (end === undefined) return lines;
  return [lines[0]!, ...lines.slice(1).filter((l) => {
    const pid = pidOfRow(l, end);
    return pid !== undefined && pids.has(pid);
  })];
}

export const vzpsCommand: CommandDecl = {
  tool: 'vzps',
  name: 'vzps',
  summary: 'ps of the processes of containers (-E CTID; 0: the host)',
  usage: `Usage: vzps [-E CTID]... [ps options]
  -E CTID   only the processes of this container (0: the host's own); repeatable
  any other option goes to ps(1)`,
  async run(api, argv) {
    if (argv[0] === '--help' && argv.length === 1) {
      for (const line of this.usage.split('\n')) api.out(line);
      return 0;
    }
    const { ids, rest } = takeVeOptions(argv, 'vzps');
    const pids = ids.length ? await selectedPids(api.runtime, ids, 'vzps') : undefined;
    const args = pids ? ['-p', pids.join(','), ...rest] : rest;
    const r = await api.runtime.host.processes.run(['ps', ...args]).catch((e: unknown) => {
      throw vzError('SYSTEM', `cannot run ps: ${e instanceof Error ? e.message : String(e)}`, { exit: 1, hint: 'install procps' });
    });
    const rows = pids ? keepRows(r.stdout, new Set(pids)) : r.stdout.split('\n').filter((l, i, all) => i < all.length - 1 || l !== '');
    for (const line of rows) api.out(line);
    for (const line of r.stderr.split('\n').filter(Boolean)) api.err(line);
    return r.code;
  },
};
