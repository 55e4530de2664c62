// fairsched benchmark: two busy VEs on this machine, cpuunits 1000 vs 3000 (the CPU
// time ratio should be 1:3), a live cpuunits change (how fast the ratio follows), then
// a live --cpulimit 25 on one of them (it should hold at 25 % of one CPU). Samples each
// VE's CPU time every 100 ms; writes a table, JSON and an SVG plot of the shares.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { run, sleep, table } from './lib/measure.mjs';
import { selfCgroupDirs } from './lib/cgroup-parent.mjs';
import { sandbox } from './lib/sandbox.mjs';

const SAMPLE_MS = 100;

export async function benchFairsched({ log = console.log, phaseS = 5 } = {}) {
  const sb = sandbox('cpu');
  const { env, vzctl, parentName } = sb;
  const ves = [String(sb.base), String(sb.base + 1)];
  const loops = Math.max(2, cpus().length);
  const samples = [];
  const events = [];
  try {
    for (const [i, id] of ves.entries()) {
      sb.made.add(id);
      run([...vzctl, 'create', id, '--ostemplate', 'busybox', '--cpuunits', i === 0 ? '1000' : '3000'], { env });
      run([...vzctl, 'start', id], { env });
    }
    const acct = selfCgroupDirs(parentName).find((d) => /\/cpuacct(,|\/)/.test(d) || d.includes('/cpu,cpuacct/'));
    if (!acct) throw new Error('no cpuacct hierarchy');
    const usage = (id) => Number(readFileSync(join(acct, id, 'cpuacct.usage'), 'utf8'));
    for (const id of ves) {
      run([...vzctl, 'exec', id, Array.from({ length: loops }, () => '(while :; do :; done) >/dev/null 2>&1 </dev/null &').join(' ')], { env });
    }
    log(`sampling ${3 * phaseS} s: cpuunits 1000:3000, then 3000:3000, then --cpulimit 25 on the first`);
    const t0 = process.hrtime.bigint();
    const now = () => Number(process.hrtime.bigint() - t0) / 1e9;
    let last = { t: now(), u: ves.map(usage) };
    const phases = [
      { at: phaseS, what: 'cpuunits 3000 on the first VE', argv: ['set', ves[0], '--cpuunits', '3000'] },
      { at: 2 * phaseS, what: 'cpulimit 25 on the first VE', argv: ['set', ves[0], '--cpulimit', '25'] },
    ];
    while (now() < 3 * phaseS) {
      await sleep(SAMPLE_MS);
      const cur = { t: now(), u: ves.map(usage) };
      const dt = cur.t - last.t;
      samples.push({ t: Math.round(cur.t * 1000) / 1000, cpus: cur.u.map((u, i) => (u - last.u[i]) / 1e9 / dt) });
      last = cur;
      const next = phases[0];
      if (next && cur.t >= next.at) {
        phases.shift();
        run([...vzctl, ...next.argv], { env });
        events.push({ t: Math.round(now() * 1000) / 1000, what: next.what });
      }
    }
  } finally {
    await sb.teardown(log);
  }
  return analyse(samples, events, phaseS);
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

function analyse(samples, events, phaseS) {
  // Skip the first second of each phase: the change settles there.
  const window = (from, to) => samples.filter((s) => s.t >= from && s.t < to);
  const p1 = window(1, phaseS);
  const ratio = mean(p1.map((s) => s.cpus[1])) / Math.max(1e-9, mean(p1.map((s) => s.cpus[0])));
  const change = events[0]?.t ?? phaseS;
  // Settled: the first 200 ms after the change where the two shares are within 10 % of 1:1.
  let settle = null;
  const after = samples.filter((s) => s.t > change && s.t < 2 * phaseS);
  for (let i = 1; i < after.length; i++) {
    const a = (after[i - 1].cpus[0] + after[i].cpus[0]) / 2;
    const b = (after[i - 1].cpus[1] + after[i].cpus[1]) / 2;
    if (b > 0 && Math.abs(a / b - 1) <= 0.1) { settle = Math.round((after[i].t - change) * 1000); break; }
  }
  const p2 = window(change + 1, 2 * phaseS);
  const p2ratio = mean(p2.map((s) => s.cpus[1])) / Math.max(1e-9, mean(p2.map((s) => s.cpus[0])));
  const limitAt = events[1]?.t ?? 2 * phaseS;
  const p3 = window(limitAt + 1, 3 * phaseS);
  const limited = mean(p3.map((s) => s.cpus[0])) * 100;
  const checks = {
    'cpuunits 1000:3000 -> CPU time ratio (target 3.0 +/- 10 %)': { value: round(ratio, 2), met: Math.abs(ratio / 3 - 1) <= 0.1 },
    'after the live change to 3000:3000 (target 1.0 +/- 10 %)': { value: round(p2ratio, 2), met: Math.abs(p2ratio - 1) <= 0.1 },
    'time for the ratio to follow the live change, ms (target < 1000)': { value: settle, met: settle !== null && settle < 1000 },
    'cpulimit 25: % of one CPU used (target 25 +/- 2)': { value: round(limited, 1), met: Math.abs(limited - 25) <= 2 },
  };
  return { name: 'fairsched', sampleMs: SAMPLE_MS, phaseS, events, checks, samples };
}

const round = (x, n) => Math.round(x * 10 ** n) / 10 ** n;

export function renderFairsched(r) {
  const rows = Object.entries(r.checks).map(([what, c]) => ({ what, value: c.value ?? '-', met: c.met ? 'yes' : 'NO' }));
  return table(rows, ['what', 'value', 'met']);
}

/** Each VE's CPU use over time (in CPUs), with the live changes marked. */
export function fairschedSvg(r) {
  const W = 720, H = 300, L = 50, B = 30, T = 20, R = 20;
  const tMax = r.phaseS * 3;
  const yMax = Math.max(2, ...r.samples.flatMap((s) => s.cpus));
  const x = (t) => L + (t / tMax) * (W - L - R);
  const y = (v) => H - B - (v / yMax) * (H - B - T);
  const colors = ['#d62728', '#1f77b4'];
  const lines = [0, 1].map((i) => `<polyline fill="none" stroke="${colors[i]}" stroke-width="1.5" points="${r.samples.map((s) => `${x(s.t).toFixed(1)},${y(s.cpus[i]).toFixed(1)}`).join(' ')}"/>`);
  const marks = r.events.map((e) => `<line x1="${x(e.t)}" x2="${x(e.t)}" y1="${T}" y2="${H - B}" stroke="#888" stroke-dasharray="4 3"/><text x="${x(e.t) + 4}" y="${T + 12}" font-size="11">${e.what}</text>`);
  const yTicks = Array.from({ length: Math.floor(yMax / 0.5) + 1 }, (_, i) => i * 0.5).map((v) => `<text x="${L - 6}" y="${y(v) + 4}" font-size="11" text-anchor="end">${v}</text><line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/>`);
  const xTicks = Array.from({ length: tMax + 1 }, (_, t) => t).filter((t) => t % 5 === 0).map((t) => `<text x="${x(t)}" y="${H - B + 16}" font-size="11" text-anchor="middle">${t}s</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
${yTicks.join('\n')}
${xTicks.join('\n')}
<line x1="${L}" x2="${L}" y1="${T}" y2="${H - B}" stroke="black"/><line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="black"/>
<text x="12" y="${T + (H - B - T) / 2}" font-size="11" transform="rotate(-90 12 ${T + (H - B - T) / 2})" text-anchor="middle">CPUs used</text>
${marks.join('\n')}
${lines.join('\n')}
<text x="${W - R - 200}" y="${H - B - 30}" font-size="11" fill="${colors[0]}">VE 1 (1000 units, then 3000, then 25 %)</text>
<text x="${W - R - 200}" y="${H - B - 16}" font-size="11" fill="${colors[1]}">VE 2 (3000 units)</text>
</svg>
`;
}
