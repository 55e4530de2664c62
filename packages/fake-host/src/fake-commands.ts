/**
 * The commands `Launcher.exec` can run inside a fake VE. There are no binaries: a
 * command is a function of its context (argv, files and hostname as the process sees
 * them, its pid namespace). Built-ins cover what plugin tests ask a guest (hostname, cat,
 * ps, sh -c ...); tests register more with `fake.commands.register`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describeErrno, errnoOf } from './fake-errors.js';
import type { FakeFs } from './fake-fs.js';

/** What a command printed and how it exited. */
export interface CommandOutput {
  code?: number;
  stdout?: string;
  stderr?: string;
}

export interface CommandContext {
  argv: string[];
  env: string[];
  cwd: string;
  /** Standard input (ExecSpec.input), '' when none. */
  input: string;
  /** Host pid of the process running the command. */
  pid: number;
  /** Files as the command sees them: its mount namespace and root. */
  fs: FakeFs;
  /** Its uts namespace; assigning changes the hostname the whole VE sees. */
  uts: { hostname: string; domainname: string };
  /** Live processes of its pid namespace, `pid` as seen inside (init is 1). */
  processes(): Array<{ pid: number; hostPid: number; argv: string[] }>;
  /** Runs another command in the same process (what a shell does). */
  run(argv: string[], input?: string): Promise<Required<CommandOutput>>;
}

export type CommandHandler = (ctx: CommandContext) => CommandOutput | number | void | Promise<CommandOutput | number | void>;

function out(stdout: string, code = 0): CommandOutput {
  return { code, stdout };
}

/** `cat: /x: No such file or directory` */
function failure(cmd: string, path: string, e: unknown): CommandOutput {
  const msg = describeErrno(errnoOf(e) ?? 'EIO');
  return { code: 1, stderr: `${cmd}: ${path}: ${msg.charAt(0).toUpperCase()}${msg.slice(1)}\n` };
}

function setName(ctx: CommandContext, cmd: string, key: 'hostname' | 'domainname'): CommandOutput {
  const name = ctx.argv[1];
  if (name === undefined) return out(`${ctx.uts[key]}\n`);
  if (new TextEncoder().encode(name).length > 64) return { code: 1, stderr: `${cmd}: set${key}: Invalid argument\n` };
  ctx.uts[key] = name;
  return out('');
}

/** Splits a shell line into words and the operators `;`, `&&`, `||` (quotes respected); `>` must stand alone. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let cur: string | undefined;
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
      else cur = (cur ?? '') + ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      cur ??= '';
    } else if (/\s/.test(ch)) {
      if (cur !== undefined) words.push(cur);
      cur = undefined;
    } else if (ch === ';' || ((ch === '&' || ch === '|') && line[i + 1] === ch)) {
      if (cur !== undefined) words.push(cur);
      cur = undefined;
      words.push(ch === ';' ? ';' : ch + ch);
      if (ch !== ';') i++;
    } else cur = (cur ?? '') + ch;
  }
  if (cur !== undefined) words.push(cur);
  return words;
}

async function shell(ctx: CommandContext, script: string): Promise<CommandOutput> {
  let stdout = '';
  let stderr = '';
  let code = 0;
  let op = ';';
  for (const line of script.split('\n')) {
    const words = [...shellWords(line), ';'];
    let argv: string[] = [];
    for (const w of words) {
      if (w !== ';' && w !== '&&' && w !== '||') {
        argv.push(w);
        continue;
      }
      const skip = (op === '&&' && code !== 0) || (op === '||' && code === 0);
      if (argv.length > 0 && !skip) {
        if (argv[0] === 'exit') return { code: argv[1] === undefined ? code : Number(argv[1]) & 255, stdout, stderr };
        // `cmd ... > FILE`: the command's output goes to FILE instead (as the process sees it).
        const redirect = argv.indexOf('>');
        const target = redirect >= 0 ? argv[redirect + 1] : undefined;
        const r = await ctx.run(redirect >= 0 ? argv.slice(0, redirect) : argv);
        stderr += r.stderr;
        code = r.code;
        if (target === undefined) stdout += r.stdout;
        else {
          try {
            await ctx.fs.writeFile(target, r.stdout);
          } catch (e) {
            const f = failure('sh', target, e);
            stderr += f.stderr ?? '';
            code = f.code ?? 1;
          }
        }
      }
      op = w;
      argv = [];
    }
  }
  return { code, stdout, stderr };
}

const BUILTINS: Record<string, CommandHandler> = {
  true: () => 0,
  false: () => 1,
  echo: (ctx) => {
    const noNewline = ctx.argv[1] === '-n';
    return out(ctx.argv.slice(noNewline ? 2 : 1).join(' ') + (noNewline ? '' : '\n'));
  },
  hostname: (ctx) => setName(ctx, 'hostname', 'hostname'),
  domainname: (ctx) => setName(ctx, 'domainname', 'domainname'),
  id: () => out('uid=0(root) gid=0(root) groups=0(root)\n'),
  cat: async (ctx) => {
    const files = ctx.argv.slice(1);
    if (files.length === 0) return out(ctx.input);
    let text = '';
    for (const f of files) {
      try {
        text += await ctx.fs.readFile(f);
      } catch (e) {
        return { ...failure('cat', f, e), stdout: text };
      }
    }
    return out(text);
  },
  ls: async (ctx) => {
    const dir = ctx.argv.find((a, i) => i > 0 && !a.startsWith('-')) ?? ctx.cwd;
    try {
      return out((await ctx.fs.readdir(dir)).map((n) => `${n}\n`).join(''));
    } catch (e) {
      return failure('ls', dir, e);
    }
  },
  ps: (ctx) => {
    const rows = ctx.processes().sort((a, b) => a.pid - b.pid);
    return out(`  PID USER     COMMAND\n${rows.map((p) => `${String(p.pid).padStart(5)} root     ${p.argv.join(' ')}\n`).join('')}`);
  },
  sh: (ctx) => {
    const c = ctx.argv.indexOf('-c');
    return shell(ctx, c >= 0 ? (ctx.argv[c + 1] ?? '') : ctx.input);
  },
  sysctl: async (ctx) => {
    const args = ctx.argv.slice(1);
    const bare = args.includes('-n');
    const names = args.filter((a) => !a.startsWith('-'));
    let text = '';
    for (const n of names) {
      const [key, value] = n.split('=', 2) as [string, string | undefined];
      const path = `/proc/sys/${key.replace(/\./g, '/')}`;
      try {
        if (value !== undefined) await ctx.fs.writeFile(path, `${value}\n`);
        const v = (await ctx.fs.readFile(path)).replace(/\n$/, '');
        text += bare ? `${v}\n` : `${key} = ${v}\n`;
      } catch (e) {
        return { ...failure('sysctl', path, e), stdout: text };
      }
    }
    return out(text);
  },
  sleep: async (ctx) => {
    await sleep(Number(ctx.argv[1] ?? 0) * 1000);
    return 0;
  },
};

/** The command table of a FakeHost. */
export class FakeCommands {
  private readonly table = new Map<string, CommandHandler>(Object.entries(BUILTINS));

  /** Adds or replaces a command, looked up by the last part of argv[0] (`/bin/foo` → `foo`). */
  register(name: string, handler: CommandHandler): this {
    this.table.set(name, handler);
    return this;
  }

  unregister(name: string): this {
    this.table.delete(name);
    return this;
  }

  names(): string[] {
    return [...this.table.keys()].sort();
  }

  /** Runs argv[0]; 127 and `sh: X: not found` when there is no such command. */
  async run(ctx: CommandContext): Promise<Required<CommandOutput>> {
    const name = (ctx.argv[0] ?? '').split('/').pop() ?? '';
    const handler = this.table.get(name);
    if (!handler) return { code: 127, stdout: '', stderr: `sh: ${name}: not found\n` };
    const r = await handler(ctx);
    if (typeof r === 'number') return { code: r, stdout: '', stderr: '' };
    return { code: r?.code ?? 0, stdout: r?.stdout ?? '', stderr: r?.stderr ?? '' };
  }
}
