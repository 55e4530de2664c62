/**
 * getopt_long-style parsing, driven by flag declarations so that flags generated from
 * the plugins' config keys parse exactly like the built-in ones: `--flag value`,
 * `--flag=value`, short switches that combine (`-aH`), `-oVALUE`, and `--` to end the
 * flags. Bad input is a BAD_PARAM error that names the flag.
 */
import { vzError } from '@vzkit/core';

export interface FlagSpec {
  /** Long name without dashes (`hostname`). */
  name: string;
  /** One-letter short form (vzlist's `-a`). */
  short?: string;
  /** Placeholder of the argument (`NAME`); none = a switch. */
  arg?: string;
  /** May be given more than once (edit flags such as `--ipadd`, `--verbose`). */
  repeatable?: boolean;
  description: string;
}

export interface GivenFlag {
  name: string;
  /** The argument; '' for a switch. */
  value: string;
}

export interface ParsedArgs {
  /** Flags in the order given. */
  flags: GivenFlag[];
  positionals: string[];
  /** What followed the last positional allowed by `stopAfter`, untouched. */
  rest: string[];
}

export interface ParseOptions {
  /** How the command is named in messages (`vzctl set`). */
  command: string;
  /** Stop after this many positionals and leave the rest unparsed (`exec CTID cmd...`). */
  stopAfter?: number;
}

function badParam(message: string, command: string) {
  return vzError('BAD_PARAM', message, { hint: `see '${command} --help'` });
}

export function parseArgs(argv: readonly string[], specs: readonly FlagSpec[], opts: ParseOptions): ParsedArgs {
  const byLong = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const out: ParsedArgs = { flags: [], positionals: [], rest: [] };
  const seen = new Set<string>();
  const give = (spec: FlagSpec, value: string, shown: string) => {
    if (seen.has(spec.name) && !spec.repeatable) throw badParam(`option ${shown} is given more than once`, opts.command);
    seen.add(spec.name);
    out.flags.push({ name: spec.name, value });
  };

  let i = 0;
  while (i < argv.length) {
    if (opts.stopAfter !== undefined && out.positionals.length >= opts.stopAfter) break;
    const a = argv[i++]!;
    if (a === '--') {
      const n = opts.stopAfter === undefined ? argv.length - i : Math.min(argv.length - i, opts.stopAfter - out.positionals.length);
      out.positionals.push(...argv.slice(i, i + n));
      i += n;
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      const spec = byLong.get(name);
      if (!spec) throw badParam(`unrecognized option --${name} for '${opts.command}'`, opts.command);
      if (spec.arg === undefined) {
        if (eq >= 0) throw badParam(`option --${name} takes no argument`, opts.command);
        give(spec, '', `--${name}`);
      } else if (eq >= 0) {
        give(spec, a.slice(eq + 1), `--${name}`);
      } else {
        if (i >= argv.length) throw badParam(`option --${name} needs an argument (${spec.arg})`, opts.command);
        give(spec, argv[i++]!, `--${name}`);
      }
      continue;
    }
    // `-1` is vzlist's flag where declared, otherwise a negative number is an argument.
    if (a.startsWith('-') && a !== '-' && (byShort.has(a[1]!) || !/^-\d/.test(a))) {
      // A cluster of short options: switches combine, one taking an argument ends it.
      for (let j = 1; j < a.length; j++) {
        const ch = a[j]!;
        const spec = byShort.get(ch);
        if (!spec) throw badParam(`unrecognized option -${ch} for '${opts.command}'`, opts.command);
        if (spec.arg === undefined) {
          give(spec, '', `-${ch}`);
          continue;
        }
        const attached = a.slice(j + 1);
        if (attached) give(spec, attached, `-${ch}`);
        else if (i < argv.length) give(spec, argv[i++]!, `-${ch}`);
        else throw badParam(`option -${ch} needs an argument (${spec.arg})`, opts.command);
        break;
      }
      continue;
    }
    out.positionals.push(a);
  }
  out.rest = argv.slice(i);
  return out;
}

/** Lookups over the parsed flags. */
export function flagValue(p: ParsedArgs, name: string): string | undefined {
  let v: string | undefined;
  for (const f of p.flags) if (f.name === name) v = f.value;
  return v;
}

export function hasFlag(p: ParsedArgs, name: string): boolean {
  return p.flags.some((f) => f.name === name);
}

export function countFlag(p: ParsedArgs, name: string): number {
  return p.flags.filter((f) => f.name === name).length;
}
