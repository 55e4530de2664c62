/**
 * Help text, generated: verbs from their declarations, parameters from the runtime's
 * config keys grouped by the plugin that owns them, plugin commands from `commands`.
 */
import type { CommandDecl, Runtime } from '@vzkit/core';
import type { FlagSpec } from './args.js';
import { keyFlags, whenApplied, type KeyFlag } from './key-flags.js';
import { VERSION } from './version.js';
import type { Verb } from './vzctl/verb.js';

export const GLOBAL_FLAGS: readonly FlagSpec[] = [
  { name: 'quiet', description: 'print no informational messages or warnings' },
  { name: 'verbose', description: 'print debug messages too (repeatable)', repeatable: true },
  { name: 'root', arg: 'DIR', description: 'keep every vzkit path under DIR (same as VZKIT_ROOT)' },
  { name: 'help', description: "print this help; 'vzctl COMMAND --help' for one command" },
  { name: 'version', description: 'print the version' },
];

function flagText(f: FlagSpec): string {
  const long = f.arg ? `--${f.name} ${f.arg}` : `--${f.name}`;
  return f.short ? `-${f.short}, ${long}` : long;
}

/** Two aligned columns; a first column too wide for the layout gets its own line. */
export function columns(rows: Array<[string, string]>, indent = 2, max = 30, fixed?: number): string[] {
  const width = fixed ?? Math.min(max, Math.max(0, ...rows.map(([a]) => a.length)));
  const pad = ' '.repeat(indent);
  return rows.map(([a, b]) =>
    a.length > width ? `${pad}${a}\n${pad}${' '.repeat(width + 2)}${b}` : `${pad}${a.padEnd(width)}  ${b}`.trimEnd(),
  );
}

function keyRows(flags: KeyFlag[], note?: (f: KeyFlag) => string): Array<[string, string]> {
  return flags.map((f) => [flagText(f), `${f.description} [${[whenApplied(f), note?.(f)].filter(Boolean).join(', ')}]`]);
}

/** Parameter flags grouped by the plugin (or core) that declares them. */
function byOwner(flags: KeyFlag[], note?: (f: KeyFlag) => string): string[] {
  const owners = [...new Set(flags.map((f) => f.owner))];
  // One width for all groups, so the descriptions line up down the whole list.
  const width = Math.min(30, Math.max(0, ...flags.map((f) => flagText(f).length)));
  return owners.flatMap((o) => [`  ${o}:`, ...columns(keyRows(flags.filter((f) => f.owner === o), note), 4, 30, width)]);
}

export function vzctlHelp(verbs: readonly Verb[], rt: Runtime): string[] {
  const create = keyFlags(rt, 'create');
  const set = keyFlags(rt, 'set');
  const all = [...create, ...set.filter((s) => !create.some((c) => c.name === s.name))];
  const scopeNote = (f: KeyFlag) => {
    const inCreate = create.some((c) => c.name === f.name);
    const inSet = set.some((s) => s.name === f.name);
    // `create only` is what whenApplied says of such a key already.
    return inSet && !inCreate ? 'set only' : '';
  };
  const plugin = rt.commands.filter((c) => c.tool === 'vzctl');
  const other = rt.commands.filter((c) => c.tool !== 'vzctl');
  return [
    'Usage: vzctl [flags] COMMAND CTID [options]',
    `vzctl ${VERSION} (vzkit): create, run and change OpenVZ-style containers. CTID is a number or a --name.`,
    '',
    'Flags (before the command):',
    ...columns(GLOBAL_FLAGS.map((f) => [flagText(f), f.description])),
    '',
    'Commands:',
    ...columns(verbs.map((v) => [[v.name, ...(v.aliases ?? [])].join('|'), v.summary]), 2, 16),
    ...(plugin.length ? ['', 'Commands added by plugins:', ...columns(plugin.map((c) => [c.name, c.summary]), 2, 16)] : []),
    ...(other.length ? ['', 'Other tools of this composition:', ...columns(other.map((c) => [`${c.tool} ${c.name}`, c.summary]), 2, 16)] : []),
    '',
    'Parameters of create and set, by the plugin that declares them ([live] applies to a running',
    'container at once, [next start] when it starts again):',
    ...byOwner(all, scopeNote),
  ];
}

export function verbHelp(verb: Verb, rt: Runtime): string[] {
  const flags = verb.flags(rt);
  const keyed = flags.filter((f): f is KeyFlag => 'key' in f);
  const plain = flags.filter((f) => !('key' in f));
  return [
    `Usage: vzctl ${verb.name} ${verb.usage}`,
    verb.summary,
    ...(verb.aliases?.length ? [`Alias: ${verb.aliases.join(', ')}`] : []),
    ...(plain.length ? ['', 'Options:', ...columns(plain.map((f) => [flagText(f), f.description]))] : []),
    ...(keyed.length
      ? ['', 'Parameters, by the plugin that declares them ([live] applies to a running container at once,', '[next start] when it starts again):', ...byOwner(keyed)]
      : []),
  ];
}

export function commandHelp(cmd: CommandDecl): string[] {
  const prog = cmd.tool === 'vzctl' ? `vzctl ${cmd.name}` : cmd.name === cmd.tool ? cmd.tool : `${cmd.tool} ${cmd.name}`;
  return [`Usage: ${prog} ${cmd.usage}`.trimEnd(), cmd.summary];
}
