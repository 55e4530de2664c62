// Timing helpers shared by the benchmarks: whole-process wall time, median/p90/spread.
import { spawnSync } from 'node:child_process';

/** Runs argv to completion and returns its wall time in ms; throws with its output on failure. */
export function timed(argv, opts = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', ...opts });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0 && !opts.allowFail) {
    throw new Error(`${argv.join(' ')} exited ${r.status ?? r.signal}: ${(r.stderr || r.stdout || '').trim().slice(0, 400)}`);
  }
  return ms;
}

export function run(argv, opts = {}) {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', ...opts });
  if (r.status !== 0 && !opts.allowFail) {
    throw new Error(`${argv.join(' ')} exited ${r.status ?? r.signal}: ${(r.stderr || r.stdout || '').trim().slice(0, 400)}`);
  }
  return r;
}

/** `vzctl start` of one VE `runs` times (after 2 warm-up rounds), each followed by `stop --fast`. */
export function startSamples(vzctl, ctid, env, runs) {
  const s = [];
  for (let i = 0; i < runs + 2; i++) {
    const t = timed([...vzctl, 'start', ctid], { env });
    run([...vzctl, 'stop', ctid, '--fast'], { env });
    if (i >= 2) s.push(t);
  }
  return summarize(s);
}

export function summarize(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
  const round = (x) => Math.round(x * 10) / 10;
  return { runs: s.length, median: round(q(0.5)), p90: round(q(0.9)), min: round(s[0]), max: round(s[s.length - 1]) };
}

export function table(rows, columns) {
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? '-').length)));
  const line = (vals) => vals.map((v, i) => String(v ?? '-').padEnd(widths[i])).join('  ').trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(columns.map((c) => r[c])))].join('\n');
}
