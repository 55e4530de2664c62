/**
 * `vzctl start|stop|restart LIST`: the verb on every VE of a CT list (`101-200`,
 * `101,105,110-120`), a few at a time, with one line per VE as it finishes and a
 * summary. The exit status is 0 when all went well, else the failures' exit number
 * when they share one, else 1.
 */
import { flagValue, parseArgs, type FlagSpec, type ParsedArgs } from '../args.js';
import { bulkExit, DEFAULT_PARALLEL, expandCtidList, parseCtidList, runBulk, withoutCtLabel } from '../bulk.js';
import { vzError } from '@vzkit/core';
import type { Verb, VerbContext } from './verb.js';

export const PARALLEL_FLAG: FlagSpec = {
  name: 'parallel', arg: 'N', description: `with a CT list (101-200, 101,105): how many containers at once (default ${DEFAULT_PARALLEL})`,
};

/** True when some argument is a CT list rather than one CTID or name. */
export function namesList(argv: readonly string[]): boolean {
  return argv.some((a) => !a.startsWith('-') && parseCtidList(a) !== undefined);
}

/**
 * Runs `op` for each VE of the CT list in argv; undefined when argv names one VE (the
 * caller goes on with the ordinary command).
 */
export async function runOnList(
  verb: Verb, argv: string[], { rt, out }: VerbContext, past: string,
  op: (ctid: number, args: ParsedArgs) => Promise<unknown>,
): Promise<number | undefined> {
  if (!namesList(argv)) return undefined;
  const command = `vzctl ${verb.name}`;
  const args = parseArgs(argv, verb.flags(rt), { command });
  const [list, ...extra] = args.positionals;
  const items = list === undefined ? undefined : parseCtidList(list);
  if (!items) throw vzError('BAD_PARAM', `'${command}' takes one CT ID or one CT list`, { hint: `see '${command} --help'` });
  if (extra.length) throw vzError('BAD_PARAM', `unexpected argument '${extra[0]}' for '${command}'`, { hint: 'give the containers as one list: 101-200 or 101,105,110-120' });
  const parallelText = flagValue(args, PARALLEL_FLAG.name);
  const parallel = parallelText === undefined ? DEFAULT_PARALLEL : Number(parallelText);
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > 256) throw vzError('BAD_VALUE', `invalid value for --parallel: '${parallelText}' (1 to 256)`);
  const ctids = await expandCtidList(items, rt);
  const outcomes = await runBulk(ctids, (ctid) => op(ctid, args), {
    parallel,
    onDone: (o) => (o.ok ? out.info(`CT ${o.ctid}: ${past}`) : out.error(`vzctl: CT ${o.ctid}: ${withoutCtLabel(o.ctid, o.message ?? '')}`)),
  });
  const failed = outcomes.filter((o) => !o.ok).map((o) => o.ctid);
  const noun = outcomes.length === 1 ? 'container' : 'containers';
  if (outcomes.length === 0) out.info(`no container in ${list}`);
  else out.info(`${outcomes.length - failed.length} of ${outcomes.length} ${noun} ${past}${failed.length ? `, ${failed.length} failed: ${failed.join(' ')}` : ''}`);
  return bulkExit(outcomes);
}

