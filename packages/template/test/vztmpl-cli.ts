/**
 * The bundled `vztmpl` (packages/cli/dist/vztmpl.js) on the real host, as an
 * administrator runs it, with every vzkit path under a temp VZKIT_ROOT. The machine's
 * template cache stays the shared one of test roots (/var/tmp/vzkit-template-cache), so
 * a Debian build is made once per machine.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Run {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

const cli = fileURLToPath(new URL('../../cli/', import.meta.url));
const bundle = join(cli, 'dist/vztmpl.js');

export class VztmplCli {
  root = '';
  /** The bundled tool. */
  readonly bundle = bundle;

  /** Bundles the tools (a second or two) and makes the temp root. */
  async setup(): Promise<void> {
    execFileSync(process.execPath, [join(cli, 'build.mjs')], { stdio: 'inherit' });
    await this.makeRoot();
  }

  /** Makes the temp root (the tools already bundled). */
  async makeRoot(): Promise<void> {
    this.root = await mkdtemp(join(tmpdir(), 'vzkit-vztmpl-it-'));
  }

  async teardown(): Promise<void> {
    if (this.root) await rm(this.root, { recursive: true, force: true });
  }

  get templateDir(): string {
    return join(this.root, 'var/lib/vzkit/template');
  }

  /** Entries of the template directory, sorted. */
  async entries(): Promise<string[]> {
    return (await readdir(this.templateDir).catch(() => [] as string[])).sort();
  }

  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return { ...process.env, VZKIT_ROOT: this.root, VZKIT_DEBUG: '', ...extra };
  }

  run(argv: string[], opts: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<Run> {
    return new Promise((resolve) => {
      execFile(process.execPath, [bundle, ...argv], { env: this.env(opts.env), timeout: opts.timeoutMs ?? 60_000, maxBuffer: 16 << 20 },
        (err, stdout, stderr) => {
          const e = err as (Error & { code?: number | string; signal?: string }) | null;
          resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, signal: e?.signal ?? null, stdout, stderr });
        });
    });
  }

  /** Starts vztmpl without waiting for it (to kill it midway). */
  start(argv: string[]): ChildProcess {
    return spawn(process.execPath, [bundle, ...argv], { env: this.env(), stdio: ['ignore', 'pipe', 'pipe'] });
  }
}
