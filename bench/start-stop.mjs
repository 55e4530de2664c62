// Foundation benchmark: `vzctl start` and `vzctl stop` of a busybox VE, N runs each,
// beside crun (run -d / kill+delete) and unshare doing the equivalent in the same run.
import { mkdtempSync, rmSync, writeFileSync, readFileSync, cpSync, existsSync, openSync, closeSync } from 'node:fs';
import { tmpdir, cpus, release } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { timed, run, summarize, table } from './lib/measure.mjs';
import { removeCgroupParent } from './lib/cgroup-parent.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = dirname(here);

export async function benchStartStop({ runs = 30, log = console.log } = {}) {
  const root = mkdtempSync(join(tmpdir(), 'vzkit-bench-'));
  const parentName = `vzkit-bench-${process.pid}`;
  const env = { ...process.env, VZKIT_ROOT: root, VZKIT_CGROUP_PARENT: `@self/${parentName}` };
  const vzctl = [process.execPath, join(repo, 'packages/cli/dist/vzctl.js')];
  const ctid = String(1_900_000 + (process.pid % 90_000));
  const results = {};
  const crunRoot = join(root, 'crun-state');
  const crunId = `vzkit-bench-${process.pid}`;
  const crun = (args) => ['unshare', '-m', '--propagation', 'private', 'sh', '-c',
    'umount /sys/fs/cgroup/unified 2>/dev/null; exec crun --root "$0" --cgroup-manager=disabled "$@"', crunRoot, ...args];
  try {
    log(`node -e 0 x${runs}`);
    results['node -e 0'] = summarize(Array.from({ length: runs }, () => timed([process.execPath, '-e', '0'])));

    results['vzctl create (busybox, first: builds the template)'] = summarize([timed([...vzctl, 'create', ctid, '--ostemplate', 'busybox'], { env })]);
    const ctid2 = String(Number(ctid) + 1);
    results['vzctl create (cached template)'] = summarize([timed([...vzctl, 'create', ctid2, '--ostemplate', 'busybox'], { env })]);
    run([...vzctl, 'destroy', ctid2], { env });

    const start = [], stop = [], fastStop = [];
    for (let i = 0; i < 2; i++) { run([...vzctl, 'start', ctid], { env }); run([...vzctl, 'stop', ctid, '--fast'], { env }); }
    log(`vzctl start/stop --fast x${runs}`);
    for (let i = 0; i < runs; i++) {
      start.push(timed([...vzctl, 'start', ctid], { env }));
      fastStop.push(timed([...vzctl, 'stop', ctid, '--fast'], { env }));
    }
    const cleanRuns = Math.min(runs, 10);
    log(`vzctl start/stop (clean halt) x${cleanRuns}`);
    for (let i = 0; i < cleanRuns; i++) {
      run([...vzctl, 'start', ctid], { env });
      stop.push(timed([...vzctl, 'stop', ctid], { env }));
    }
    results['vzctl start'] = summarize(start);
    results['vzctl stop --fast'] = summarize(fastStop);
    results['vzctl stop (guest halt)'] = summarize(stop);

    const rootfs = join(root, 'var/lib/vzkit/template/busybox');
    if (existsSync('/usr/bin/crun')) {
      const bundle = join(root, 'crun-bundle');
      cpSync(rootfs, join(bundle, 'rootfs'), { recursive: true, verbatimSymlinks: true });
      run(['crun', 'spec'], { cwd: bundle });
      const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
      spec.process.terminal = false;
      spec.process.args = ['/bin/sleep', '1000'];
      spec.root.readonly = true;
      spec.mounts = spec.mounts.filter((m) => m.destination !== '/sys/fs/cgroup');
      delete spec.linux.resources;
      writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
      const cs = [], ck = [];
      log(`crun run -d / kill+delete x${runs}`);
      // The detached container inherits crun's stdio: give it a file, not our pipes, or
      // waiting for crun would wait for the container.
      const out = openSync(join(root, 'crun.log'), 'a');
      for (let i = 0; i < runs + 2; i++) {
        const a = timed(crun(['run', '-d', '--bundle', bundle, crunId]), { stdio: ['ignore', out, out] });
        const b = timed(['sh', '-c', `${crun(['kill', crunId, 'KILL']).map(q).join(' ')} && ${crun(['delete', '-f', crunId]).map(q).join(' ')}`]);
        if (i >= 2) { cs.push(a); ck.push(b); }
      }
      closeSync(out);
      results['crun run -d'] = summarize(cs);
      results['crun kill + delete -f'] = summarize(ck);
    }
    log(`unshare x${runs}`);
    results['unshare -fpmiun --mount-proc chroot ROOTFS /bin/true'] = summarize(
      Array.from({ length: runs }, () => timed(['unshare', '-fpmiun', '--mount-proc', 'chroot', rootfs, '/bin/true'])));
  } finally {
    run([...vzctl, 'stop', ctid, '--fast'], { env, allowFail: true });
    run([...vzctl, 'destroy', ctid], { env, allowFail: true });
    run(crun(['delete', '-f', crunId]), { allowFail: true, stdio: 'ignore' });
    const left = removeCgroupParent(parentName);
    if (left.length) log(`warning: cgroups left: ${left.join(', ')}`);
    rmSync(root, { recursive: true, force: true });
  }
  const node = results['node -e 0'].median;
  const crunStart = results['crun run -d']?.median;
  return {
    name: 'start-stop',
    results,
    target: crunStart === undefined ? null : {
      rule: 'vzctl start <= node -e 0 + 1.5 x crun run -d (medians, same run)',
      limitMs: Math.round((node + 1.5 * crunStart) * 10) / 10,
      vzctlStartMs: results['vzctl start'].median,
      met: results['vzctl start'].median <= node + 1.5 * crunStart,
    },
  };
}

function q(s) {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function renderStartStop(r) {
  const rows = Object.entries(r.results).map(([what, s]) => ({ what, runs: s.runs, 'median ms': s.median, 'p90 ms': s.p90, 'min ms': s.min, 'max ms': s.max }));
  let out = table(rows, ['what', 'runs', 'median ms', 'p90 ms', 'min ms', 'max ms']);
  if (r.target) out += `\n\ntarget: ${r.target.rule}: limit ${r.target.limitMs} ms, vzctl start ${r.target.vzctlStartMs} ms -> ${r.target.met ? 'met' : 'NOT met'}`;
  return out;
}

export const machine = () => ({ kernel: release(), cpus: cpus().length, node: process.version });
