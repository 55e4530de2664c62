// crun as the benchmarks run it beside vzkit (../shared/reference/peers.md): a bundle of
// the sandbox's busybox template, a read-only root running `sleep`, without cgroups of
// its own (this host's v1 layout) and without a terminal.
import { closeSync, cpSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './measure.mjs';

/** Writes `bundle`/config.json: crun's default spec, made to run `sleep 1000` detached. */
export function writeCrunSpec(bundle) {
  run(['crun', 'spec'], { cwd: bundle });
  const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
  spec.process.terminal = false;
  spec.process.args = ['/bin/sleep', '1000'];
  spec.root.readonly = true;
  spec.mounts = spec.mounts.filter((m) => m.destination !== '/sys/fs/cgroup');
  delete spec.linux.resources;
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
}

/**
 * The argv of a crun command with its state under `root`/run/crun (as /run/crun on a
 * host; the sandbox's run/ is a tmpfs). Debian's crun refuses this host's hybrid cgroup
 * layout: it runs in a private mount namespace without /sys/fs/cgroup/unified, with its
 * cgroup manager off (peers.md).
 */
export const crunCommand = (root) => (args) => ['unshare', '-m', '--propagation', 'private', 'sh', '-c',
  'umount /sys/fs/cgroup/unified 2>/dev/null; exec crun --root "$0" --cgroup-manager=disabled "$@"', join(root, 'run/crun'), ...args];

/**
 * `n` containers of `bundle` started one after another by `crun run -d` (their output
 * appended to `log`), each id pushed onto `ids` as it is used, so that a failure midway
 * still leaves every started one to delete. Returns the milliseconds it took.
 */
export function crunSerialStarts(crun, { bundle, n, idPrefix, log, ids }) {
  const out = openSync(log, 'a');
  const t0 = process.hrtime.bigint();
  try {
    for (let i = 0; i < n; i++) {
      const id = `${idPrefix}-${i}`;
      ids.push(id);
      run(crun(['run', '-d', '--bundle', bundle, id]), { stdio: ['ignore', out, out] });
    }
  } finally {
    closeSync(out);
  }
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** A bundle under `root` from the sandbox's busybox template; returns its path. */
export function crunBundle(root) {
  const bundle = join(root, 'crun-bundle');
  cpSync(join(root, 'var/lib/vzkit/template/busybox'), join(bundle, 'rootfs'), { recursive: true, verbatimSymlinks: true });
  writeCrunSpec(bundle);
  return bundle;
}
