/**
 * The command lines of vztmpl's commands: short or long flags, flags with a value
 * (`--mirror URL`, `--mirror=URL`), `--` before positionals that begin with a dash, and
 * positionals by name. Anything else is BAD_PARAM (exit 20) naming the command.
 */
import { vzError } from '@vzkit/core';

export interface FlagDecl {
  /** Long name without dashes (`mirror`). */
  name: string;
  /** One-letter alias (`q`). */
  short?: string;
  /** Takes a value (`--mirror URL`). */
  value?: boolean;
}

export interface ArgsSpec {
  flags: readonly FlagDecl[];
  /** Positional names, in order; the first `required` must be given. */
  positionals: readonly string[];
  required: number;
}

export interface ParsedArgs {
  /** Flags given: `true` for a switch, the text for a flag with a value. */
  flags: Map<string, string | true>;
  /** Positionals by name. */
  args: Map<string, string>;
}

/** Parses the arguments of `tool command` (the tool prints its own name before the message). */
export function parseToolArgs(tool: string, command: string, argv: readonly string[], spec: ArgsSpec): ParsedArgs {
  const bad = (msg: string) => vzError('BAD_PARAM', `${command}: ${msg}`, { hint: `see '${tool} ${command} --help'` });
  const flags = new Map<string, string | true>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      positionals.push(a);
      continue;
    }
    const long = /^--([^=]+)(?:=(.*))?$/.exec(a);
    const decl = long ? spec.flags.find((f) => f.name === long[1]) : a.length === 2 ? spec.flags.find((f) => f.short === a[1]) : undefined;
    if (!decl) throw bad(`unknown option ${a}`);
    if (flags.has(decl.name)) throw bad(`--${decl.name} given twice`);
    if (!decl.value) {
      if (long?.[2] !== undefined) throw bad(`--${decl.name} takes no value`);
      flags.set(decl.name, true);
      continue;
    }
    const value = long?.[2] ?? argv[++i];
    if (value === undefined) throw bad(`--${decl.name} needs a value`);
    flags.set(decl.name, value);
  }
  if (positionals.length < spec.required) throw bad(`${spec.positionals[positionals.length]} missing`);
  if (positionals.length > spec.positionals.length) throw bad(`unexpected argument '${positionals[spec.positionals.length]}'`);
  return { flags, args: new Map(positionals.map((p, i) => [spec.positionals[i]!, p])) };
}
