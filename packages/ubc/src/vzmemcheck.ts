/**
 * `vzmemcheck [-v] [-A]`: the memory used by and promised to the running VEs against
 * the host, in OpenVZ's columns (low memory, RAM, RAM + swap, allocations; see
 * ./memory-use.ts for what fills them). `-v` adds a line per VE, `-A` gives megabytes
 * and a last line with the host's totals instead of percentages.
 */
import { vzError, type CommandDecl } from '@vzkit/core';
import { configuredLimits } from './config.js';
import { hostMemory, type HostMemory } from './host-memory.js';
import { memoryShares, type MemoryShares } from './memory-use.js';
import { UBC_PARAMS } from './params.js';

const USAGE = 'Usage: vzmemcheck [-v] [-A]';
const UBC_NAMES = new Set(UBC_PARAMS.map((p) => p.name));

/** The eight columns, each with the host total it is a share of. */
const COLUMNS: Array<[keyof MemoryShares, (m: HostMemory) => number]> = [
  ['lowUtil', (m) => m.lowmem], ['lowCommit', (m) => m.lowmem], ['ramUtil', (m) => m.ram],
  ['memSwapUtil', (m) => m.ram + m.swap], ['memSwapCommit', (m) => m.ram + m.swap],
  ['allocUtil', (m) => m.ram + m.swap], ['allocCommit', (m) => m.ram + m.swap], ['allocLimit', (m) => m.ram + m.swap],
];

const num = (v: number) => v.toFixed(2).padStart(7);

/** vzmemcheck's table from the shares of each running VE. */
export function memcheckLines(ves: ReadonlyArray<{ ctid: number; shares: MemoryShares }>, mem: HostMemory, opts: { verbose: boolean; absolute: boolean }): string[] {
  const MiB = 1024 * 1024;
  const value = (s: MemoryShares, [key, whole]: (typeof COLUMNS)[number]) => (opts.absolute ? (s[key] * whole(mem)) / MiB : s[key] * 100);
  const lead = (text: string) => (opts.verbose ? text.padEnd(11) : '');
  const lines = [
    opts.absolute ? 'Output values in Mbytes' : 'Output values in %',
    `${lead('CTID')} LowMem  LowMem     RAM MemSwap MemSwap   Alloc   Alloc   Alloc`,
    `${lead('')}   util  commit    util    util  commit    util  commit   limit`,
  ];
  const sums = COLUMNS.map(() => 0);
  for (const ve of ves) {
    const values = COLUMNS.map((c) => value(ve.shares, c));
    values.forEach((v, i) => (sums[i]! += v));
    if (opts.verbose) lines.push(`${String(ve.ctid).padEnd(10)} ${values.map(num).join(' ')}`);
  }
  if (opts.verbose) {
    lines.push('-'.repeat(73));
    lines.push(`Summary:   ${sums.map(num).join(' ')}`);
  } else {
    lines.push(sums.map(num).join(' '));
  }
  if (opts.absolute) lines.push(`${lead('')}${COLUMNS.map(([, whole]) => num(whole(mem) / MiB)).join(' ')}`);
  return lines;
}

export const vzmemcheckCommand: CommandDecl = {
  tool: 'vzmemcheck',
  name: 'vzmemcheck',
  summary: 'memory used by and promised to the running containers against the host',
  usage: `${USAGE}
  -v   a line for each container
  -A   megabytes instead of percentages, with the host's totals on a last line`,
  async run(api, argv) {
    if (argv.includes('-h') || argv.includes('--help')) {
      for (const line of this.usage.split('\n')) api.out(line);
      return 0;
    }
    const bad = argv.find((a) => !/^-[vA]+$/.test(a));
    if (bad !== undefined) throw vzError('BAD_PARAM', `unknown argument ${bad}`, { exit: 1, hint: USAGE });
    const flags = argv.join('');
    const mem = await hostMemory(api.runtime.host);
    const rows = (await api.runtime.list({ stats: UBC_NAMES })).filter((r) => r.status === 'running');
    const ves = rows.map((r) => ({ ctid: r.ctid, shares: memoryShares({ stats: r.stats, limits: configuredLimits(r.config) }, mem) }));
    for (const line of memcheckLines(ves, mem, { verbose: flags.includes('v'), absolute: flags.includes('A') })) api.out(line);
    return 0;
  },
};
