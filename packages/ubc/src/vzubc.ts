/**
 * `vzubc [-j|--json] [--raw] [-q] [-v] [CTID...]`: the beancounters of running VEs (or
 * of the VEs named, running or not) as vzubc's table, as the /proc/user_beancounters
 * file scripts parse, or as JSON.
 */
import { PAGE_SIZE, vzError, type CommandApi, type CommandDecl } from '@vzkit/core';
import { UBC_PARAMS } from './params.js';
import { renderRaw, renderTable, toJson, type VeBeancounters } from './report.js';

const USAGE = `vzubc [-j|--json] [--raw] [-q|--quiet] [-v|--verbose] [CTID ...]
  (no CTID: every running VE)
  --raw        the exact /proc/user_beancounters layout (Version 2.5)
  -j, --json   JSON: held, maxheld, barrier, limit, failcnt, unit and how each is enforced
  -q, --quiet  only beancounters with failures or held near the barrier
  -v, --verbose  also the unlimited ones`;

interface Options {
  json: boolean;
  raw: boolean;
  quiet: boolean;
  verbose: boolean;
  ids: string[];
}

function parseArgs(argv: string[]): Options {
  const o: Options = { json: false, raw: false, quiet: false, verbose: false, ids: [] };
  for (const a of argv) {
    if (a === '-j' || a === '--json') o.json = true;
    else if (a === '--raw') o.raw = true;
    else if (a === '-q' || a === '--quiet') o.quiet = true;
    else if (a === '-v' || a === '--verbose') o.verbose = true;
    else if (a.startsWith('-')) throw vzError('BAD_PARAM', `unknown option ${a}`, { hint: 'see vzubc --help' });
    else o.ids.push(a);
  }
  if (o.json && o.raw) throw vzError('BAD_PARAM', '--json and --raw exclude each other');
  return o;
}

const UBC_NAMES = new Set(UBC_PARAMS.map((p) => p.name));

/** One pass over the VEs (each loaded once): named ones whatever their state, else the running ones. */
async function collect(api: CommandApi, ids: string[]): Promise<VeBeancounters[]> {
  const rt = api.runtime;
  const named = ids.length > 0;
  const ctids = named ? await Promise.all(ids.map((id) => rt.resolveId(id))) : undefined;
  const listed = await rt.list({ ...(ctids ? { ctids } : {}), stats: UBC_NAMES });
  for (const ctid of ctids ?? []) {
    if (!listed.some((r) => r.ctid === ctid)) throw vzError('VE_NOT_FOUND', `CT ${ctid}: no such VE`);
  }
  return listed
    .filter((r) => named || r.status === 'running')
    .map((r) => ({
      ctid: r.ctid,
      running: r.status === 'running',
      rows: [...r.stats.values()].filter((s) => UBC_NAMES.has(s.resource) && s.status !== undefined),
    }));
}

export const vzubcCommand: CommandDecl = {
  tool: 'vzubc',
  name: 'vzubc',
  summary: 'show the user beancounters of VEs',
  usage: USAGE,
  async run(api, argv) {
    if (argv.includes('--help') || argv.includes('-h')) {
      for (const line of USAGE.split('\n')) api.out(line);
      return 0;
    }
    const o = parseArgs(argv);
    const ves = await collect(api, o.ids);
    if (o.json) api.out(JSON.stringify(toJson(ves), null, 2));
    else if (o.raw) api.out(renderRaw(ves).trimEnd());
    else {
      const text = renderTable(ves, { quiet: o.quiet, verbose: o.verbose, pageSize: PAGE_SIZE });
      if (text) api.out(text.trimEnd());
    }
    return 0;
  },
};
