/**
 * `vzubc [options] [CTID...]`: the beancounters of running VEs (or of the VEs named,
 * running or not) as vzubc's table, as the /proc/user_beancounters file scripts parse,
 * or as JSON; with OpenVZ's watch (-w), quiet (-q), relative (-r), incremental (-i) and
 * colour (-c) modes (man vzubc(8)). Errors exit 1, as vzubc's.
 */
import { PAGE_SIZE, vzError, type CommandApi, type CommandDecl } from '@vzkit/core';
import { UBC_PARAMS } from './params.js';
import { renderRaw, renderTable, toJson, type VeBeancounters } from './report.js';
import { defaultStoreDir, UbcStore, type UbcSnapshot } from './vzubc-store.js';

const USAGE = `Usage: vzubc [option ...] [CTID ...]   (no CTID: every running VE)
 -w, --watch        run under watch(1), Ctrl-C to exit; -wd: highlight changes,
                    -wt: no title, -wn SEC: every SEC seconds
 -q, --quiet        only beancounters with fails and close to limits;
                    -qh RATIO: held/barrier threshold (0.5), -qm RATIO: maxheld/barrier (0.8)
 -v, --verbose      also the unlimited ones
 -r, --relative     fail counters as the change since the last run (+FAIL);
                    -rc: forget the saved fail counters, -rd DIR: where runs are saved
 -i, --incremental  a +/- column: the change of held since the last run;
                    -ic: forget the saved held values, -id DIR: same as -rd
 -c, --color        colour rows near limits (yellow) and failing (red); not with -w
 --raw              the exact /proc/user_beancounters layout (Version 2.5)
 -j, --json         JSON: held, maxheld, barrier, limit, failcnt, unit and how each is enforced`;

export interface VzubcOptions {
  json: boolean;
  raw: boolean;
  quiet: boolean;
  verbose: boolean;
  heldRatio?: number;
  maxheldRatio?: number;
  relative: boolean;
  incremental: boolean;
  clearFailcnt: boolean;
  clearHeld: boolean;
  storeDir?: string;
  color: boolean;
  watch: boolean;
  /** watch(1)'s own options (-d, -t, -n SEC). */
  watchArgs: string[];
  ids: string[];
  /** The arguments with the watch options taken out: what runs under watch. */
  inner: string[];
}

const bad = (message: string) => vzError('BAD_PARAM', message, { exit: 1, hint: 'see vzubc --help' });

/** A ratio; values above 1 are percentages (vzubc: `-qh 80` is 0.8). */
function ratio(flag: string, v: string | undefined): number {
  if (v === undefined || !/^\d+(\.\d+)?$/.test(v)) throw bad(`option ${flag} requires a number`);
  const n = Number(v);
  return n > 1 ? n / 100 : n;
}

export function parseVzubcArgs(argv: readonly string[]): VzubcOptions {
  const o: VzubcOptions = {
    json: false, raw: false, quiet: false, verbose: false, relative: false, incremental: false,
    clearFailcnt: false, clearHeld: false, color: false, watch: false, watchArgs: [], ids: [], inner: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const arg = () => {
      const v = argv[++i];
      if (v === undefined) throw bad(`option ${a} requires an argument`);
      return v;
    };
    let toWatch = false;
    switch (a) {
      case '-j': case '--json': o.json = true; break;
      case '--raw': o.raw = true; break;
      case '-q': case '--quiet': o.quiet = true; break;
      case '-qh': o.heldRatio = ratio(a, arg()); o.inner.push(a, argv[i]!); continue;
      case '-qm': o.maxheldRatio = ratio(a, arg()); o.inner.push(a, argv[i]!); continue;
      case '-v': case '--verbose': o.verbose = true; break;
      case '-r': case '--relative': o.relative = true; break;
      case '-rc': o.clearFailcnt = true; break;
      case '-i': case '--incremental': o.incremental = true; break;
      case '-ic': o.clearHeld = true; break;
      case '-rd': case '-id': o.storeDir = arg(); o.inner.push(a, argv[i]!); continue;
      case '-c': case '--color': o.color = true; break;
      case '-w': case '--watch': toWatch = true; break;
      case '-wd': toWatch = true; o.watchArgs.push('-d'); break;
      case '-wt': toWatch = true; o.watchArgs.push('-t'); break;
      case '-wn': toWatch = true; o.watchArgs.push('-n', arg()); break;
      // vzubc's own marker for the run under watch.
      case '-W': continue;
      default:
        if (a.startsWith('-')) throw bad(`unknown option ${a}`);
        o.ids.push(a);
    }
    if (toWatch) o.watch = true;
    else o.inner.push(a);
  }
  if (o.json && o.raw) throw bad('--json and --raw exclude each other');
  if (o.watch && o.color) throw bad("can't use --watch and --color together");
  if (o.quiet && o.verbose) throw bad("options --quiet and --verbose can't be used together");
  if ((o.heldRatio !== undefined || o.maxheldRatio !== undefined) && !o.quiet && !o.color) {
    throw bad('-qh and -qm only make sense with --quiet or --color');
  }
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
    if (!listed.some((r) => r.ctid === ctid)) throw vzError('VE_NOT_FOUND', `CT ${ctid}: no such VE`, { exit: 1 });
  }
  return listed
    .filter((r) => named || r.status === 'running')
    .map((r) => ({
      ctid: r.ctid,
      running: r.status === 'running',
      rows: [...r.stats.values()].filter((s) => UBC_NAMES.has(s.resource) && s.status !== undefined),
    }));
}

/**
 * `-r`: each fail counter becomes its growth since the saved one (the whole counter when
 * none was saved or it went down: the VE restarted); `-i`: held's change. Returns what
 * to save for the next run.
 */
export function compareWithLastRun(ves: VeBeancounters[], last: UbcSnapshot, o: Pick<VzubcOptions, 'relative' | 'incremental'>): { next: UbcSnapshot; heldDelta: (ctid: number, res: string) => number | undefined } {
  const next: UbcSnapshot = { failcnt: { ...last.failcnt }, held: { ...last.held } };
  const deltas = new Map<string, number>();
  for (const ve of ves) {
    if (!ve.running) continue;
    const id = String(ve.ctid);
    const failNow: Record<string, number> = {};
    const heldNow: Record<string, number> = {};
    ve.rows = ve.rows.map((r) => {
      if (r.held !== undefined) {
        heldNow[r.resource] = r.held;
        const before = last.held[id]?.[r.resource];
        if (before !== undefined) deltas.set(`${id}/${r.resource}`, r.held - before);
      }
      if (r.failcnt === undefined) return r;
      failNow[r.resource] = r.failcnt;
      const before = last.failcnt[id]?.[r.resource] ?? 0;
      return o.relative && before > 0 && r.failcnt >= before ? { ...r, failcnt: r.failcnt - before } : r;
    });
    if (o.relative) next.failcnt[id] = failNow;
    if (o.incremental) next.held[id] = heldNow;
  }
  return { next, heldDelta: (ctid, res) => (o.incremental ? deltas.get(`${ctid}/${res}`) : undefined) };
}

async function underWatch(api: CommandApi, o: VzubcOptions): Promise<number> {
  if (!api.self) throw vzError('UNSUPPORTED', 'cannot run itself under watch from here', { exit: 1 });
  const r = await api.runtime.host.processes.run(['watch', ...o.watchArgs, '-x', ...api.self, ...o.inner, '-W'], { terminal: true })
    .catch((e: unknown) => {
      throw vzError('SYSTEM', `watch binary not found: ${e instanceof Error ? e.message : String(e)}`, { exit: 1, hint: 'install procps' });
    });
  return r.code;
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
    const o = parseVzubcArgs(argv);
    if (o.watch) return underWatch(api, o);
    const stored = o.relative || o.incremental || o.clearFailcnt || o.clearHeld;
    const uid = process.getuid?.() ?? 0;
    const store = stored ? new UbcStore(api.runtime.host.fs, o.storeDir ?? defaultStoreDir(api.runtime.paths.prefix, uid), uid) : undefined;
    await store?.prepare();
    const last = (await store?.read()) ?? { failcnt: {}, held: {} };
    if (o.clearFailcnt) last.failcnt = {};
    if (o.clearHeld) last.held = {};
    const ves = await collect(api, o.ids);
    const { next, heldDelta } = compareWithLastRun(ves, last, o);
    if (store) await store.write(next);
    if (o.json) api.out(JSON.stringify(toJson(ves), null, 2));
    else if (o.raw) api.out(renderRaw(ves).trimEnd());
    else {
      const text = renderTable(ves, {
        quiet: o.quiet, verbose: o.verbose, pageSize: PAGE_SIZE, relative: o.relative, color: o.color,
        ...(o.heldRatio !== undefined ? { heldRatio: o.heldRatio } : {}),
        ...(o.maxheldRatio !== undefined ? { maxheldRatio: o.maxheldRatio } : {}),
        ...(o.incremental ? { heldDelta } : {}),
      });
      if (text) api.out(text.trimEnd());
    }
    return 0;
  },
};
