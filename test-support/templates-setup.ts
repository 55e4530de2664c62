/**
 * Global set-up of the integration project: the OS templates the tests use are made
 * before any test file runs, from the machine's own network namespace. A build needs the
 * mirror; a test that later runs `vztmpl create` or `vzctl create` inside a network
 * namespace of its own then only unpacks the machine cache's tarball. Without this, a
 * machine that never built a template would build it from whichever test came first —
 * possibly from inside such a namespace, where the mirror's name does not resolve.
 *
 * The Debian template goes into the machine cache shared by test roots
 * (/var/tmp/vzkit-template-cache, or VZKIT_TEMPLATE_CACHE) through the bundled vztmpl
 * under a throwaway VZKIT_ROOT; the build's lock makes concurrent runs build it once.
 * A failed build is reported and left to the tests that need it, which then fail with
 * vztmpl's own one-line reason.
 */
import { execFile, execFileSync } from 'node:child_process';
import { appendFileSync, existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { machine, tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const cacheDir = process.env.VZKIT_TEMPLATE_CACHE || '/var/tmp/vzkit-template-cache';
/** The Debian template of this machine (debian-12-x86_64), as vztmpl names it. */
const DEBIAN = `debian-12-${machine()}`;

function cached(name: string): boolean {
  return ['.tar.zst', '.tar.gz'].some((ext) => existsSync(join(cacheDir, `${name}${ext}`)));
}

function vztmpl(argv: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(root, 'packages/cli/dist/vztmpl.js'), ...argv], { env, timeout: 30 * 60_000, maxBuffer: 16 << 20 },
      (err, _stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stderr }));
  });
}

export default async function setup(): Promise<void> {
  // Only root builds templates; the tests that need one run as root too.
  if (process.getuid?.() !== 0 || cached(DEBIAN)) return;
  const started = Date.now();
  execFileSync(process.execPath, [join(root, 'packages/cli/build.mjs')], { stdio: 'inherit' });
  const scratch = await mkdtemp(join(tmpdir(), 'vzkit-templates-setup-'));
  try {
    console.log(`[templates] making ${DEBIAN} for the tests (once per machine; it goes into ${cacheDir})`);
    const r = await vztmpl(['create', DEBIAN, '-q'], { ...process.env, VZKIT_ROOT: scratch, VZKIT_DEBUG: '' });
    const took = (Date.now() - started) / 1000;
    if (r.code === 0) console.log(`[templates] ${DEBIAN} ready in ${took.toFixed(0)} s`);
    else console.warn(`[templates] ${DEBIAN} could not be made (exit ${r.code}): ${r.stderr.trim()}; the tests that need it will fail`);
    if (process.env.VZKIT_FILE_TIMES) appendFileSync(process.env.VZKIT_FILE_TIMES, `${took.toFixed(1)}\tintegration\t(global set-up: ${DEBIAN} template)\n`);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
