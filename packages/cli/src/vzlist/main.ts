/**
 * `vzlist [-a|-S] [-n] [-H] [-t] [-j] [-o FIELDS | -1] [-s [-]FIELD] [-h PAT] [-N PAT]
 * [-d PAT] [CTID|name ...]` and `vzlist -L`: the columns are the runtime's list fields,
 * so a plugin's columns appear with it. Only running VEs unless -a, -S or CTIDs are
 * given. Errors of vzlist itself exit 1, as src/vzlist.c does.
 */
import { isVzError, vzError, type ListField, type Runtime } from '@vzkit/core';
import { countFlag, flagValue, hasFlag, parseArgs, type FlagSpec, type ParsedArgs } from '../args.js';
import { columns } from '../help.js';
import { globMatch } from './glob.js';
import { Printer, type CliIo } from '../io.js';
import {
  DEFAULT_FIELDS, SMART_NAME_FIELDS, jsonDefaultFields, jsonText, placeholderField, sortRows, tableLines,
} from './table.js';
import { reportFailure } from '../report.js';
import { defaultRuntimeFactory, type RuntimeFactory } from '../runtime-factory.js';
import type { RunOptions } from '../vzctl/main.js';

const FLAGS: readonly FlagSpec[] = [
  { name: 'all', short: 'a', description: 'all containers (default: only running ones)' },
  { name: 'stopped', short: 'S', description: 'only containers that do not run' },
  { name: 'name', short: 'n', description: 'show the name instead of the CTID where one is set' },
  { name: 'no-header', short: 'H', description: 'no header line' },
  { name: 'no-trim', short: 't', description: 'do not cut long values' },
  { name: 'json', short: 'j', description: 'JSON array of objects (all base fields unless -o)' },
  { name: 'output', short: 'o', arg: 'FIELD[,FIELD...]', description: 'fields to print (see -L)' },
  { name: 'ids', short: '1', description: 'CTIDs only, one per line (-H -o ctid)' },
  { name: 'sort', short: 's', arg: '[-]FIELD', description: 'sort by FIELD; a leading - sorts descending' },
  { name: 'hostname', short: 'h', arg: 'PATTERN', description: 'only hostnames matching the shell PATTERN' },
  { name: 'name_filter', short: 'N', arg: 'PATTERN', description: 'only names matching PATTERN' },
  { name: 'description', short: 'd', arg: 'PATTERN', description: 'only descriptions matching PATTERN' },
  { name: 'list', short: 'L', description: 'list the available fields' },
  { name: 'root', arg: 'DIR', description: 'keep every vzkit path under DIR (same as VZKIT_ROOT)' },
  { name: 'verbose', description: 'print debug messages', repeatable: true },
  { name: 'help', description: 'print this help' },
];

/** vzlist's own failures exit 1 whatever their kind. */
const fail = (message: string) => vzError('BAD_PARAM', message, { exit: 1 });

function helpLines(): string[] {
  return [
    'Usage: vzlist [-a|-S] [-n] [-H] [-t] [-j] [-o FIELD[,FIELD...] | -1] [-s [-]FIELD]',
    '              [-h PATTERN] [-N PATTERN] [-d PATTERN] [CTID|NAME ...]',
    '       vzlist -L',
    '',
    ...columns(FLAGS.map((f) => [`${f.short ? `-${f.short}, ` : '    '}--${f.name}${f.arg ? ` ${f.arg}` : ''}`, f.description]), 2, 32),
  ];
}

function fieldNamed(rt: Runtime, name: string): ListField | undefined {
  return rt.listFields.find((f) => f.name === name);
}

function chooseFields(rt: Runtime, a: ParsedArgs): ListField[] {
  const output = flagValue(a, 'output');
  if (output !== undefined) {
    return output.split(',').map((n) => {
      const f = fieldNamed(rt, n.trim());
      if (!f) throw fail(`Unknown field: ${n}`);
      return f;
    });
  }
  if (hasFlag(a, 'ids')) return [fieldNamed(rt, 'ctid')!];
  if (hasFlag(a, 'json')) return jsonDefaultFields(rt.listFields);
  const names = hasFlag(a, 'name') ? SMART_NAME_FIELDS : DEFAULT_FIELDS;
  return names.map((n) => fieldNamed(rt, n) ?? placeholderField(n)!);
}

async function ctidsOf(rt: Runtime, ids: string[]): Promise<number[] | undefined> {
  if (ids.length === 0) return undefined;
  const out: number[] = [];
  for (const id of ids) {
    try {
      out.push(await rt.resolveId(id));
    } catch (e) {
      if (isVzError(e) && e.code === 'BAD_PARAM') throw fail(`CT ID ${id} is invalid.`);
      throw e;
    }
  }
  // Listed in CTID order like every other listing, each once.
  return [...new Set(out)].sort((x, y) => x - y);
}

/** Runs vzlist with argv (without the program name); resolves with the exit status. */
export async function runVzlist(argv: string[], io: CliIo, runtimeFactory: RuntimeFactory = defaultRuntimeFactory, opts: RunOptions = {}): Promise<number> {
  const out = new Printer(io, 'vzlist');
  try {
    let a: ParsedArgs;
    try {
      a = parseArgs(argv, FLAGS, { command: 'vzlist' });
    } catch (e) {
      throw isVzError(e) ? vzError(e.code, e.message, { exit: 1, ...(e.hint ? { hint: e.hint } : {}) }) : e;
    }
    out.verbosity = countFlag(a, 'verbose');
    if (hasFlag(a, 'help')) {
      for (const line of helpLines()) out.out(line);
      return 0;
    }
    if (hasFlag(a, 'all') && hasFlag(a, 'stopped')) throw fail('-a and -S exclude each other');
    const listOnly = hasFlag(a, 'list');
    const rt = await runtimeFactory({ root: flagValue(a, 'root'), log: out.logger(), hostNeeded: !listOnly });
    if (listOnly) {
      for (const f of rt.listFields) out.out(`${f.name.padEnd(15)} ${f.header.padEnd(15)}`.trimEnd());
      return 0;
    }
    const fields = chooseFields(rt, a);
    const sortSpec = flagValue(a, 'sort');
    let sortField: ListField | undefined;
    const descending = sortSpec?.startsWith('-') ?? false;
    if (sortSpec !== undefined) {
      const name = descending ? sortSpec.slice(1) : sortSpec;
      sortField = fieldNamed(rt, name);
      if (!sortField) throw fail(`Invalid sort field name: ${name}`);
    }
    const ctids = await ctidsOf(rt, a.positionals);
    const filters: Array<[string, string]> = [];
    for (const [flag, field] of [['hostname', 'hostname'], ['name_filter', 'name'], ['description', 'description']] as const) {
      const pattern = flagValue(a, flag);
      if (pattern !== undefined) filters.push([field, pattern]);
    }
    const used = [...fields, ...(sortField ? [sortField] : [])];
    let rows = await rt.list({ ...(ctids ? { ctids } : {}), stats: statsWanted(used) });
    if (hasFlag(a, 'stopped')) rows = rows.filter((r) => r.status !== 'running');
    else if (!hasFlag(a, 'all') && !ctids) rows = rows.filter((r) => r.status === 'running');
    for (const [name, pattern] of filters) {
      const f = fieldNamed(rt, name);
      rows = rows.filter((r) => {
        const v = f?.get(r);
        return typeof v === 'string' && globMatch(pattern, v);
      });
    }
    if (sortField) rows = sortRows(rows, sortField, descending);
    if (hasFlag(a, 'json')) {
      out.out(jsonText(fields, rows));
      return rows.length === 0 && ctids ? 1 : 0;
    }
    if (rows.length === 0) {
      out.error('Container(s) not found');
      return ctids ? 1 : 0;
    }
    const header = !hasFlag(a, 'no-header') && !hasFlag(a, 'ids');
    for (const line of tableLines(fields, rows, { header, noTrim: hasFlag(a, 'no-trim') })) out.out(line);
    return 0;
  } catch (e) {
    if (opts.rethrow) throw e;
    return reportFailure(e, out);
  }
}

/** The counters the shown columns read: none, all (a column that reads any), or those named. */
function statsWanted(fields: readonly ListField[]): boolean | ReadonlySet<string> {
  const want = new Set<string>();
  for (const f of fields) {
    if (f.needsStats === true) return true;
    for (const r of f.needsStats || []) want.add(r);
  }
  return want.size > 0 ? want : false;
}
