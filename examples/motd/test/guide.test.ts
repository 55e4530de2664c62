/**
 * docs/plugins.md cannot rot: every TypeScript block in it either quotes a file of the
 * repository verbatim (marked `<!-- quote: PATH -->` on the line before the fence),
 * which must still be in that file, or is compiled as a module of its own against the
 * packages' sources (the workspace's compiler options; @vzkit/* by their `source`
 * export), as if it were a file of this example package.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const GUIDE = 'docs/plugins.md';

interface Block {
  lang: string;
  text: string;
  /** Line of the opening fence, 1-based. */
  line: number;
  /** The file it quotes, when marked. */
  quote: string | undefined;
}

const QUOTE = /^<!-- quote: (\S+) -->$/;

function blocks(md: string): Block[] {
  const lines = md.split('\n');
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)$/.exec(lines[i]!);
    if (!open) continue;
    const line = i + 1;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== '```'; i++) body.push(lines[i]!);
    if (i === lines.length) throw new Error(`${GUIDE}:${line}: the code block is never closed`);
    out.push({ lang: open[1]!, text: `${body.join('\n')}\n`, line, quote: QUOTE.exec(lines[line - 2] ?? '')?.[1] });
  }
  return out;
}

const markdown = readFileSync(join(repo, GUIDE), 'utf8');
const all = blocks(markdown);
const quoted = all.filter((b) => b.quote !== undefined);
const compiled = all.filter((b) => b.quote === undefined && b.lang === 'ts');

/** Type errors of the blocks, each as `docs/plugins.md:LINE: message`. */
function typeErrors(snippets: Block[]): string[] {
  const config = ts.readConfigFile(join(repo, 'tsconfig.base.json'), ts.sys.readFile).config as { compilerOptions: unknown };
  const { options } = ts.parseJsonConfigFileContent({ compilerOptions: config.compilerOptions }, ts.sys, repo);
  const opts = { ...options, noEmit: true, composite: false, declaration: false, declarationMap: false, sourceMap: false };
  // Files of this package as far as module resolution goes: `@vzkit/example-motd` is itself.
  const files = new Map(snippets.map((b) => [join(repo, 'examples/motd/test', `guide-snippet-line-${b.line}.ts`), b]));
  const host = ts.createCompilerHost(opts);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, lang, ...rest) => {
    const b = files.get(name);
    return b ? ts.createSourceFile(name, b.text, lang) : getSourceFile.call(host, name, lang, ...rest);
  };
  host.fileExists = (name) => files.has(name) || fileExists.call(host, name);
  host.readFile = (name) => files.get(name)?.text ?? readFile.call(host, name);
  const program = ts.createProgram([...files.keys()], opts, host);
  return ts.getPreEmitDiagnostics(program).flatMap((d) => {
    const b = d.file && files.get(d.file.fileName);
    if (!b) return [];
    const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
    return [`${GUIDE}:${b.line + 1 + line}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`];
  });
}

describe('the code of docs/plugins.md', () => {
  it('has blocks of both kinds, and every quote marker sits on a code block', () => {
    expect(quoted.length).toBeGreaterThanOrEqual(8);
    expect(compiled.length).toBeGreaterThanOrEqual(5);
    expect(markdown.split('\n').filter((l) => QUOTE.test(l)).length).toBe(quoted.length);
  });

  it.each(quoted.map((b) => [`${GUIDE}:${b.line}`, b] as const))('%s is still, verbatim, in the file it quotes', (_where, b) => {
    expect(readFileSync(join(repo, b.quote!), 'utf8')).toContain(b.text);
  });

  // One TypeScript program over every package the blocks import: seconds on a busy machine.
  // A stale block of its own goes with them, to show the check sees a break.
  it('every other TypeScript block compiles against the packages\' sources', { timeout: 120_000 }, () => {
    const stale: Block = {
      lang: 'ts', line: 0, quote: undefined,
      text: "import { definePlugin } from '@vzkit/core';\nexport const p = definePlugin({ name: 'x', hooks: { async prepare(ctx) { ctx.ve.noSuchThing; } } });\n",
    };
    const errors = typeErrors([...compiled, stale]);
    expect(errors.filter((e) => e.startsWith(`${GUIDE}:2: `))).toEqual([expect.stringMatching(/noSuchThing/)]);
    expect(errors.filter((e) => !e.startsWith(`${GUIDE}:2: `))).toEqual([]);
  });
});
