/**
 * `vzcalc [-v] CTID`: the share of the host a VE uses now (Current, `n/a` when it does
 * not run), is promised as a guarantee (Promised) and may take at most (Max), in OpenVZ's
 * layout; the `Memory` line is the largest of each column. Where OpenVZ printed `n/a`
 * for Total RAM and Mem + Swap, vzkit gives the RAM and RAM + swap limits that VSwap
 * enforces (./memory-use.ts).
 */
import { vzError, type CommandDecl } from '@vzkit/core';
import { configuredLimits } from './config.js';
import { hostMemory } from './host-memory.js';
import { memoryShares, type MemoryShares } from './memory-use.js';
import { UBC_PARAMS } from './params.js';

const USAGE = 'Usage: vzcalc [-v] <CTID>';
const UBC_NAMES = new Set(UBC_PARAMS.map((p) => p.name));

const pct = (v: number | undefined) => (v === undefined ? 'n/a' : (v * 100).toFixed(2)).padStart(10);
const max = (...xs: Array<number | undefined>) => Math.max(...xs.filter((x): x is number => x !== undefined));

/** vzcalc's lines; `running` false prints `n/a` for the current use. */
export function calcLines(s: MemoryShares, running: boolean, verbose: boolean): string[] {
  const now = (v: number) => (running ? v : undefined);
  const rows: Array<[string, number | undefined, number | undefined, number | undefined]> = [
    ['Low Mem', now(s.lowUtil), s.lowCommit, s.lowCommit],
    ['Total RAM', now(s.ramUtil), undefined, s.ramMax],
    ['Mem + Swap', now(s.memSwapUtil), s.memSwapPromised, s.memSwapCommit],
    ['Alloc. Mem', now(s.allocUtil), s.allocCommit, s.allocLimit],
    ['Num. Proc', now(s.procUtil), undefined, s.procMax],
  ];
  const line = (name: string, c: number | undefined, p: number | undefined, m: number | undefined) => `${name.padEnd(10)} ${pct(c)} ${pct(p)} ${pct(m)}`;
  const out = ['Resource     Current(%)  Promised(%)  Max(%)'];
  if (verbose) {
    for (const r of rows) out.push(line(...r));
    out.push('-'.repeat(44));
  }
  out.push(line('Memory', running ? max(...rows.map((r) => r[1])) : undefined, max(...rows.map((r) => r[2])), max(...rows.map((r) => r[3]))));
  return out;
}

export const vzcalcCommand: CommandDecl = {
  tool: 'vzcalc',
  name: 'vzcalc',
  summary: 'share of the host a container uses and is promised',
  usage: `${USAGE}
  -v   one line per resource: low memory, RAM, RAM + swap, allocations, processes`,
  async run(api, argv) {
    if (argv.includes('-h') || argv.includes('--help')) {
      for (const line of this.usage.split('\n')) api.out(line);
      return 0;
    }
    const verbose = argv.includes('-v');
    const ids = argv.filter((a) => a !== '-v');
    const bad = ids.find((a) => a.startsWith('-'));
    if (bad !== undefined) throw vzError('BAD_PARAM', `unknown option ${bad}`, { exit: 1, hint: USAGE });
    if (ids.length !== 1) throw vzError('BAD_PARAM', ids.length ? `unexpected argument ${ids[1]}` : 'no CTID given', { exit: 1, hint: USAGE });
    const rt = api.runtime;
    let ctid: number;
    try {
      ctid = await rt.resolveId(ids[0]!);
    } catch {
      throw vzError('BAD_PARAM', `Invalid CT ID: ${ids[0]}`, { exit: 1 });
    }
    const [row] = await rt.list({ ctids: [ctid], stats: UBC_NAMES });
    if (!row) throw vzError('VE_NOT_FOUND', `Container configuration file: ${rt.paths.confDir}/${ctid}.conf not found`, { exit: 1 });
    const running = row.status === 'running';
    const shares = memoryShares({ stats: running ? row.stats : new Map(), limits: configuredLimits(row.config) }, await hostMemory(rt.host));
    for (const line of calcLines(shares, running, verbose)) api.out(line);
    return 0;
  },
};
