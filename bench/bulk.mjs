// Bulk start: N busybox VEs started by one `vzctl start LIST --parallel P` beside crun's
// N one-by-one `crun run -d`, interleaved round by round so that what else runs on the
// machine weighs on both alike (issue 19: at most 2x crun; the goal is less than crun).
// Alone: `node bench/bulk.mjs [--ves N] [--rounds R] [--parallel P] [--compare CLI_DIST]`;
// --compare adds a second build of the CLI (e.g. the last commit's) to each round.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pool, run, summarize, table, timed } from './lib/measure.mjs';
import { sandbox } from './lib/sandbox.mjs';
import { crunBundle, crunCommand, crunSerialStarts } from './lib/crun.mjs';

const round1 = (x) => Math.round(x * 10) / 10;

export async function benchBulk({ ves = 100, rounds = 3, parallel = 8, compare, log = console.log } = {}) {
  const sb = sandbox('bulk');
  const { env, vzctl, root } = sb;
  const local = { ...env, VZKIT_NO_DAEMON: '1' };
  const crun = crunCommand(root);
  const builds = [{ name: 'vzctl', argv: vzctl }];
  if (compare) builds.push({ name: 'vzctl (compare)', argv: [process.execPath, join(compare, 'vzctl.js')] });
  const crunIds = [];
  const times = {};
  /** VEs that failed to start, per build and round. */
  const failures = {};
  const push = (k, ms) => (times[k] ??= []).push(ms);
  try {
    const ids = Array.from({ length: ves }, (_, i) => String(sb.base + i));
    log(`create ${ves} busybox VEs`);
    await pool(ids, 2, async (id) => {
      sb.made.add(id);
      run([...vzctl, 'create', id, '--ostemplate', 'busybox'], { env: local });
    });
    const list = `${ids[0]}-${ids[ids.length - 1]}`;
    const haveCrun = existsSync('/usr/bin/crun');
    const bundle = haveCrun ? crunBundle(root) : undefined;
    const crunLog = join(root, 'crun.log');
    // Round 0 warms the caches (the first start of a VE makes its private area) and is not counted.
    for (let r = 0; r <= rounds; r++) {
      const keep = (k, ms) => r > 0 && push(k, ms);
      if (bundle) {
        keep('crun.start', crunSerialStarts(crun, { bundle, n: ves, idPrefix: `vzkit-bulk-${process.pid}`, log: crunLog, ids: crunIds }));
        const t1 = process.hrtime.bigint();
        for (const id of crunIds.splice(0)) {
          run(crun(['kill', id, 'KILL']), { allowFail: true, stdio: 'ignore' });
          run(crun(['delete', '-f', id]), { stdio: 'ignore' });
        }
        keep('crun.stop', Number(process.hrtime.bigint() - t1) / 1e6);
      }
      for (const b of builds) {
        // A VE that fails is counted, not fatal: the others' time is still the measure.
        const t0 = process.hrtime.bigint();
        const res = run([...b.argv, 'start', list, '--parallel', String(parallel)], { env: local, timeout: 20 * 60_000, allowFail: true });
        keep(`${b.name}.start`, Number(process.hrtime.bigint() - t0) / 1e6);
        const failed = (res.stderr.match(/^vzctl: CT \d+: /gm) ?? []).length;
        if (failed > 0) {
          if (r > 0) (failures[b.name] ??= []).push(failed);
          log(`${b.name}: ${failed} VEs failed to start: ${res.stderr.split('\n')[0]}`);
        }
        keep(`${b.name}.stop`, timed([...b.argv, 'stop', list, '--fast', '--parallel', String(parallel)], { env: local, timeout: 20 * 60_000, allowFail: true }));
      }
      if (r > 0) log(`round ${r}: ${Object.entries(times).map(([k, v]) => `${k} ${round1(v[v.length - 1] / 1000)} s`).join(', ')}`);
    }
  } finally {
    for (const id of crunIds) run(crun(['delete', '-f', id]), { allowFail: true, stdio: 'ignore' });
    await sb.teardown(log);
  }
  const rows = Object.entries(times).map(([k, v]) => {
    const s = summarize(v);
    const failed = k.endsWith('.start') ? failures[k.slice(0, -'.start'.length)] : undefined;
    return { id: k, tool: k.startsWith('crun') ? 'crun' : 'vzkit', seconds: round1(s.median / 1000), perVeMs: round1(s.median / ves), runs: v.map((x) => round1(x / 1000)), failed: failed ? failed.join(' ') : '' };
  });
  const crunS = rows.find((x) => x.id === 'crun.start')?.seconds;
  const vzS = rows.find((x) => x.id === 'vzctl.start')?.seconds;
  return {
    name: 'bulk',
    title: `bulk start of ${ves} busybox VEs beside crun, interleaved (${rounds} rounds, vzctl --parallel ${parallel})`,
    ves,
    parallel,
    rows,
    target: crunS && vzS ? { rule: `${ves} VEs started in one command vs crun's ${ves} serial starts (at most 2x; goal below 1x)`, vzkitS: vzS, crunS, ratio: Math.round((vzS / crunS) * 100) / 100 } : null,
  };
}

export function renderBulk(r) {
  const lines = [table(r.rows.map((x) => ({ what: x.id, tool: x.tool, 'median s': x.seconds, 'ms per VE': x.perVeMs, runs: x.runs.join(' '), 'VEs failed': x.failed })), ['what', 'tool', 'median s', 'ms per VE', 'runs', 'VEs failed'])];
  if (r.target) lines.push(`${r.target.rule}: ${r.target.vzkitS} s against ${r.target.crunS} s (x${r.target.ratio})`);
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name, dflt) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : dflt;
  };
  const r = await benchBulk({
    ves: Number(arg('ves', 100)),
    rounds: Number(arg('rounds', 3)),
    parallel: Number(arg('parallel', 8)),
    compare: arg('compare', undefined),
    log: (m) => console.error(`[bulk] ${m}`),
  });
  console.log(r.title);
  console.log(renderBulk(r));
}
