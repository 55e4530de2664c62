// Timing helpers shared by the benchmarks: whole-process wall time, median/p90/spread,
// and a small pool that runs commands a few at a time. Every command has a time bound.
import { spawn, spawnSync } from 'node:child_process';

/** No command of a benchmark runs longer than this unless it says otherwise. */
const DEFAULT_TIMEOUT_MS = 5 * 60_000;

function failure(argv, r) {
  return new Error(`${argv.join(' ')} exited ${r.status ?? r.signal}: ${(r.stderr || r.stdout || '').trim().slice(0, 400)}`);
}

/** Runs argv to completion and returns its wall time in ms; throws with its output on failure. */
export function timed(argv, opts = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: DEFAULT_TIMEOUT_MS, ...opts });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0 && !opts.allowFail) throw failure(argv, r);
  return ms;
}

export function run(argv, opts = {}) {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: DEFAULT_TIMEOUT_MS, ...opts });
  if (r.status !== 0 && !opts.allowFail) throw failure(argv, r);
  return r;
}

/**
 * Like `timed`, without blocking the event loop (for commands run a few at a time):
 * resolves with { ms, status, stderr }; rejects on failure unless allowFail.
 */
export function timedAsync(argv, opts = {}) {
  const { allowFail, timeout = DEFAULT_TIMEOUT_MS, ...spawnOpts } = opts;
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], ...spawnOpts });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (d) => { if (stderr.length < 4000) stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      const r = { ms: Number(process.hrtime.bigint() - t0) / 1e6, status, signal, stderr };
      if (status !== 0 && !allowFail) reject(failure(argv, r));
      else resolve(r);
    });
  });
}

/** Runs fn over items, at most `concurrency` at once; resolves with the results in order. */
export async function pool(items, concurrency, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return out;
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

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function table(rows, columns) {
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? '-').length)));
  const line = (vals) => vals.map((v, i) => String(v ?? '-').padEnd(widths[i])).join('  ').trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(columns.map((c) => r[c])))].join('\n');
}

/** The usual timing table: one row per `results` entry (label → summary). */
export function timingTable(results) {
  const rows = Object.entries(results).map(([what, s]) => ({ what, runs: s.runs, 'median ms': s.median, 'p90 ms': s.p90, 'min ms': s.min, 'max ms': s.max }));
  return table(rows, ['what', 'runs', 'median ms', 'p90 ms', 'min ms', 'max ms']);
}

/** `key: value` lines of a benchmark's facts. */
export const factLines = (facts) => Object.entries(facts).map(([k, v]) => `${k}: ${v}`).join('\n');
