// What every benchmark that makes VEs starts from: a temporary VZKIT_ROOT, a private
// cgroup parent under the caller's own cgroup (@self), CTIDs from a high random range,
// the CLI tools (run inside the bench's network namespace when it has one), and the
// teardown that stops and destroys exactly the VEs it made.
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { removeBenchVes } from './teardown.mjs';

export const repo = join(dirname(fileURLToPath(import.meta.url)), '../..');
/** The CLI bundle the benchmarks run: run.mjs points this at its own copy (snapshotCli). */
export const cliPath = (tool) => join(process.env.VZKIT_BENCH_CLI_DIR ?? join(repo, 'packages/cli/dist'), `${tool}.js`);

/**
 * Runs the rest of this process on a copy of the CLI bundle and the launcher, so that a
 * rebuild of packages/cli/dist during a long run (its chunk names change with every
 * change of the sources) cannot pull files from under it. The copy sits beside dist/
 * (koffi and the launcher resolve from there alike) and is removed at exit; copies
 * left by runs that were killed are removed first.
 */
export function snapshotCli() {
  const cli = join(repo, 'packages/cli');
  for (const d of readdirSync(cli).filter((n) => /^\.bench-dist-\d+$/.test(n))) {
    const pid = Number(d.slice('.bench-dist-'.length));
    let alive = true;
    try { process.kill(pid, 0); } catch { alive = false; }
    if (!alive) rmSync(join(cli, d), { recursive: true, force: true });
  }
  const copy = join(cli, `.bench-dist-${process.pid}`);
  cpSync(join(cli, 'dist'), copy, { recursive: true });
  process.env.VZKIT_BENCH_CLI_DIR = copy;
  const launcher = join(repo, 'packages/linux/native/build/vzlaunch');
  if (existsSync(launcher)) {
    cpSync(launcher, join(copy, 'vzlaunch'));
    process.env.VZKIT_LAUNCHER = join(copy, 'vzlaunch');
  }
  process.on('exit', () => rmSync(copy, { recursive: true, force: true }));
}

/** The first of 1000 CTIDs no other run is likely to use: 3,000,000-8,999,000, random. */
export const ctidBase = () => 3_000_000 + Math.floor(Math.random() * 6000) * 1000;

/**
 * @param {string} tag short name of the benchmark (paths, cgroup and netns names)
 * @param {{ netns?: { inNs: (argv: string[]) => string[] } }} [opts]
 */
export function sandbox(tag, { netns } = {}) {
  const root = mkdtempSync(join(tmpdir(), `vzkit-bench-${tag}-`));
  // Like /var/lib: an unprivileged VE's root (the default) must be able to pass through to its VE_ROOT.
  chmodSync(root, 0o711);
  // What VZKIT_ROOT/run stands for is /run, a tmpfs on every host vzkit runs on: its
  // run-time records (state.json, rewritten at each step of a start) and lock files
  // belong in memory, not on the disk the temporary directory is on. On an ext4 without
  // a journal, as here, each new inode there costs a scan of the recently deleted ones.
  const run = join(root, 'run');
  mkdirSync(run);
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'mode=0755,size=256m', `vzkit-bench-${tag}`, run]).status === 0;
  const parentName = `vzkit-bench-${tag}-${process.pid}`;
  const env = { ...process.env, VZKIT_ROOT: root, VZKIT_CGROUP_PARENT: `@self/${parentName}` };
  const tool = (name) => (netns ? netns.inNs([process.execPath, cliPath(name)]) : [process.execPath, cliPath(name)]);
  const vzctl = tool('vzctl');
  const made = new Set();
  return {
    root,
    parentName,
    env,
    tool,
    vzctl,
    base: ctidBase(),
    /** CTIDs created here: the teardown stops and destroys these and no others. */
    made,
    /** The private area's upper layer of a VE without its own disk (ns-fs: VE_PRIVATE/fs). */
    upper: (ctid) => join(root, 'var/lib/vzkit/private', String(ctid), 'fs'),
    teardown: (log) => removeBenchVes({ vzctl, ids: [...made], env, parentName, root, log, mounts: mounted ? [run] : [] }),
  };
}
