/**
 * Template builds on a machine that has none, for real: the machine cache is an empty
 * directory of this file's own (VZKIT_TEMPLATE_CACHE). Three `vztmpl create
 * debian-12-x86_64` started at once — two in one vzkit root, one in another — all
 * succeed while mmdebstrap runs once: the machine's lock makes the other root wait and
 * unpack the tarball, the root's own lock makes the third wait and find the tree. Where
 * the mirror cannot be reached (a network namespace without routes) the build fails
 * within seconds with one line, and leaves nothing.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { VztmplCli, type Run } from './vztmpl-cli.js';

const NAME = 'debian-12-x86_64';
const onX86 = process.arch === 'x64';
let cache: string;
let one: VztmplCli;
let two: VztmplCli;

beforeAll(async () => {
  // Only for the bundle: this root is not used, and goes at once.
  const bundler = new VztmplCli();
  await bundler.setup();
  await bundler.teardown();
}, 120_000);

beforeEach(async () => {
  cache = await mkdtemp(join(tmpdir(), 'vzkit-empty-cache-'));
  one = new VztmplCli();
  two = new VztmplCli();
  await one.makeRoot();
  await two.makeRoot();
});

afterEach(async () => {
  await one.teardown();
  await two.teardown();
  await rm(cache, { recursive: true, force: true });
});

/** Runs the bundled vztmpl with `prefix` before it (`unshare -n`), to its end. */
function run(cli: VztmplCli, argv: string[], prefix: string[] = []): Promise<Run & { ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const cmd = [...prefix, process.execPath, cli.bundle, ...argv];
    const child = spawn(cmd[0]!, cmd.slice(1), { env: cli.env({ VZKIT_TEMPLATE_CACHE: cache }), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, ms: Date.now() - t0 }));
  });
}

describe.runIf(onX86)('template builds on a machine without the template', () => {
  it('three creates at once, in two roots: all succeed and mmdebstrap runs once', { timeout: 20 * 60_000 }, async () => {
    const [a, b, c] = await Promise.all([run(one, ['create', NAME]), run(one, ['create', NAME]), run(two, ['create', NAME])]);
    for (const r of [a, b, c]) expect(r.code, r.stderr).toBe(0);
    const all = [a, b, c];
    expect(all.filter((r) => r.stderr.includes(`vztmpl: ${NAME}: building (mmdebstrap:`))).toHaveLength(1);
    // Whoever did not build waited for the one who did, then took its result.
    const waited = all.filter((r) => /: waiting for pid \d+ \(.*\) to finish with it$/m.test(r.stderr));
    expect(waited).toHaveLength(2);
    const builtInOne = [a, b].some((r) => r.stderr.includes('building ('));
    if (builtInOne) expect(c.stderr).toMatch(new RegExp(`^vztmpl: ${NAME}: unpacking ${cache}/${NAME}\\.tar\\.zst$`, 'm'));
    expect(await readdir(cache)).toEqual([`${NAME}.tar.zst`]);
    expect(await one.entries()).toEqual([NAME]);
    expect(await two.entries()).toEqual([NAME]);
  });

  it('where the mirror is out of reach: one line within seconds, nothing left', { timeout: 120_000 }, async () => {
    const r = await run(one, ['create', NAME], ['unshare', '-n']);
    expect(r.code).toBe(91);
    expect(r.ms).toBeLessThan(30_000);
    // Progress aside: the error's one line, and the hint every vzkit error may carry.
    const lines = r.stderr.trimEnd().split('\n').filter((l) => !l.startsWith(`vztmpl: ${NAME}: `));
    expect(lines).toEqual([
      expect.stringMatching(new RegExp(`^vztmpl: cannot build OS template '${NAME}' in \\S+: cannot reach the Debian mirror: .+ \\(\\S+\\)$`)),
      expect.stringMatching(/^  hint: /),
    ]);
    expect(await one.entries()).toEqual([]);
    expect(await readdir(cache)).toEqual([]);
  });
});
