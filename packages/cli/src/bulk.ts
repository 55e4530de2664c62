/**
 * Many VEs in one command: `vzctl start 101-200`, `vzctl stop 101,105,110-120` (and the
 * same from vzkitd's API). One process does them all, a few at a time, so Node's start-up
 * and the composition are paid once; each VE still takes its own lock, and a failure of
 * one does not stop the others.
 */
import { isVzError, parseCtid, vzError, type Runtime } from '@vzkit/core';

/** Most CTIDs one list may name (a range typed with a digit too many stays harmless). */
export const BULK_MAX = 100_000;

/**
 * How many VEs a bulk command works on at once unless told. Measured on 2 CPUs
 * (bench/vzkitd.mjs): 100 busybox starts took 14.7 s one at a time, 13.4 s four at a
 * time and 9.6 s eight at a time; a start waits on the kernel often enough that more
 * starts than CPUs still gain.
 */
export const DEFAULT_PARALLEL = 8;

/** A CTID list item: one CTID or name, or an inclusive range. */
export type ListItem = { ctid: string } | { from: number; to: number };

/**
 * The items of a CTID list (`101-200`, `101,105,110-120`, `web1,web2`), or undefined when
 * `arg` names one VE: a bare CTID or name stays the ordinary single-VE command.
 */
export function parseCtidList(arg: string): ListItem[] | undefined {
  if (!arg.includes(',') && !/^\d+-\d+$/.test(arg)) return undefined;
  let count = 0;
  const items = arg.split(',').map((part): ListItem => {
    const range = /^(\d+)-(\d+)$/.exec(part);
    if (range) {
      const from = parseCtid(range[1]!);
      const to = parseCtid(range[2]!);
      if (from > to) throw vzError('BAD_PARAM', `CT range ${part} is empty: its first CTID is above its last`);
      count += to - from + 1;
      return { from, to };
    }
    if (part === '') throw vzError('BAD_PARAM', `CT list ${JSON.stringify(arg)} has an empty item`);
    count++;
    return { ctid: part };
  });
  if (count > BULK_MAX) throw vzError('BAD_PARAM', `CT list ${arg} names ${count} containers; at most ${BULK_MAX} at once`);
  return items;
}

/**
 * The CTIDs a list stands for, in its order, each once. A range means the VEs that exist
 * in it (`101-200` on a host with 101..150 is those 50); a CTID or name given alone must
 * exist, and is reported like any other VE when it does not.
 */
export async function expandCtidList(items: readonly ListItem[], rt: Pick<Runtime, 'ctids' | 'resolveId'>): Promise<number[]> {
  const out: number[] = [];
  const seen = new Set<number>();
  const add = (c: number) => {
    if (!seen.has(c)) {
      seen.add(c);
      out.push(c);
    }
  };
  let existing: Set<number> | undefined;
  for (const item of items) {
    if ('ctid' in item) {
      add(await rt.resolveId(item.ctid));
      continue;
    }
    existing ??= new Set(await rt.ctids());
    for (const c of [...existing].filter((c) => c >= item.from && c <= item.to).sort((a, b) => a - b)) add(c);
  }
  return out;
}

/** One VE's outcome in a bulk run. */
export interface BulkOutcome {
  ctid: number;
  ok: boolean;
  /** Set when it failed: the error's code, exit number and one-line message. */
  code?: string;
  exit?: number;
  message?: string;
}

export interface BulkOptions {
  /** VEs worked on at once. */
  parallel: number;
  /** Called as each VE is done, in the order they finish. */
  onDone?(o: BulkOutcome): void;
}

/** Runs `op` on every CTID, `parallel` at a time; resolves with each outcome in the list's order. */
export async function runBulk(ctids: readonly number[], op: (ctid: number) => Promise<unknown>, opts: BulkOptions): Promise<BulkOutcome[]> {
  const outcomes: BulkOutcome[] = new Array(ctids.length);
  let next = 0;
  const worker = async () => {
    while (next < ctids.length) {
      const i = next++;
      const ctid = ctids[i]!;
      let o: BulkOutcome;
      try {
        await op(ctid);
        o = { ctid, ok: true };
      } catch (e) {
        o = isVzError(e)
          ? { ctid, ok: false, code: e.code, exit: e.exit, message: e.message }
          : { ctid, ok: false, code: 'SYSTEM', exit: 1, message: e instanceof Error ? e.message : String(e) };
      }
      outcomes[i] = o;
      opts.onDone?.(o);
    }
  };
  const n = Math.max(1, Math.min(opts.parallel, ctids.length));
  await Promise.all(Array.from({ length: n }, worker));
  return outcomes;
}

/** The exit status of a bulk run: 0, the failures' own exit when they share one, else 1. */
export function bulkExit(outcomes: readonly BulkOutcome[]): number {
  const exits = new Set(outcomes.filter((o) => !o.ok).map((o) => o.exit ?? 1));
  return exits.size === 0 ? 0 : exits.size === 1 ? [...exits][0]! : 1;
}

/** The message of a failure without its leading `CT 101:` (the bulk line names the CT itself). */
export function withoutCtLabel(ctid: number, message: string): string {
  return message.replace(new RegExp(`^CT ${ctid}:? ?`), '');
}
