/**
 * The shape of `pnpm bench`'s JSON (not its numbers, which belong to the machine): the
 * report that run.mjs writes is built by bench/lib/report.mjs from what the benchmarks
 * return; here it is built from a small synthetic result set, and the newest report in
 * bench/results that has the claims section is checked too.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildReport, plotFiles, renderMarkdown, shapeProblems } from '../lib/report.mjs';

const summary = (median: number) => ({ runs: 3, median, p90: median + 1, min: median - 1, max: median + 2 });
const row = (id: string, tool: string, median: number) => ({ id, tool, what: `${id} what`, command: `${id} command`, ...summary(median) });

const latency = {
  name: 'latency',
  rows: [
    row('node', 'node', 30), row('vzctl.create', 'vzkit', 80), row('vzctl.start', 'vzkit', 150), row('vzctl.exec', 'vzkit', 90),
    row('vzctl.stop.fast', 'vzkit', 100), row('vzctl.stop.halt', 'vzkit', 2100), row('vzctl.destroy', 'vzkit', 70),
    row('vzctl.set.ram', 'vzkit', 100), row('vzctl.set.cpulimit', 'vzkit', 100), row('vzctl.set.diskspace', 'vzkit', 110),
    row('crun.run', 'crun', 20), row('crun.exec', 'crun', 15), row('crun.stop', 'crun', 22), row('lxc.execute', 'lxc', 18), row('unshare', 'unshare', 3),
  ],
  live: {
    ram: { set: '256M', kernel: 'memory.limit_in_bytes 268435456', applied: true },
    cpulimit: { set: '25%', kernel: 'cpu.cfs_quota_us 25000 / cpu.cfs_period_us 100000', applied: true },
    diskspace: { set: '1G', vzquota: 'hard 1048576 KiB', applied: true },
  },
  target: { rule: 'r', limitMs: 60, vzctlStartMs: 150, met: false },
};
const scale = {
  name: 'scale',
  checkpoints: [1, 10].map((n) => ({ n, startMs: summary(150), memPerVeKb: { cgroup: 400, pss: 300, parentCgroup: 450, memAvailableDrop: 600 }, processes: 2 * n })),
  totals: { 'start 10 VEs, one vzctl after another (s)': 1.5, 'start 10 VEs, 4 vzctl at a time (s)': 0.8 },
  startsMs: Array.from({ length: 10 }, () => 150),
  concurrency: 4,
  bulk: 10,
};
const density = {
  name: 'density',
  limitBytes: 2 ** 30,
  variants: [
    { template: 'busybox', sharing: 'shared', bound: 3, budgetS: 10, maxN: 3, stoppedBy: 'the bound (3)', steps: [{ n: 1, parentKb: 500 }, { n: 2, parentKb: 1000 }],
      memory: { n: 3, cgroupKbPerVe: 400, pssKbPerVe: 300, parentKbPerVe: 450, memAvailableDropKbPerVe: 600, processes: 9 }, startMs: summary(150), serveMs: summary(20), createMs: summary(80) },
    { template: 'debian-12-x86_64', sharing: 'shared', bound: 3, maxN: 0, error: 'no template', steps: [] },
  ],
};
const throughput = {
  name: 'throughput', ves: 3, pageBytes: 4200, runs: 3, secondsEach: 1, server: 's', load: 'wrk -t3 -c3 -d1s',
  requestsPerMinute: { ve: summary(90000), host: summary(91000) }, overheadPct: { median: 1.1, min: 0.5, max: 2 }, errors: { ve: 0, host: 0 },
};
const fairsched = {
  name: 'fairsched', sampleMs: 100, phaseS: 1, events: [{ t: 1, what: 'x' }],
  checks: { a: { value: 3, met: true } }, samples: [{ t: 0.1, cpus: [0.5, 1.5] }, { t: 0.2, cpus: [0.6, 1.4] }],
};

const report = buildReport({
  mode: 'quick',
  date: '2026-12-01T17:00:00.000Z',
  durationS: 12.5,
  machine: { kernel: '6.18', cpus: 2, cpuModel: 'Some CPU', cpuMHz: 2100, memoryMiB: 1024, node: 'v24' },
  command: 'pnpm bench --quick',
  benchmarks: [latency, scale, density, throughput, fairsched, { name: 'quota', error: 'boom' }],
});

describe('the benchmark report', () => {
  it('has the shape the checker and the readers expect, also after a JSON round trip', () => {
    expect(shapeProblems(report)).toEqual([]);
    expect(shapeProblems(JSON.parse(JSON.stringify(report)))).toEqual([]);
    expect(report).toMatchObject({ version: 2, mode: 'quick', command: 'pnpm bench --quick' });
    expect(report.benchmarks.map((b: { name: string }) => b.name)).toEqual(['latency', 'scale', 'density', 'throughput', 'fairsched', 'quota']);
  });

  it('sets each original claim against vzkit and the peers, with the command behind every figure', () => {
    expect(report.claims.map((c: { id: string }) => c.id)).toEqual(['density', 'throughput', 'overhead', 'create', 'start-stop', 'live']);
    for (const c of report.claims) {
      expect(c.original, c.id).toEqual(expect.any(String));
      expect(c.vzkit.length, c.id).toBeGreaterThan(0);
      for (const f of [...c.vzkit, ...c.peers]) expect(f.command, `${c.id}: ${f.what}`).toMatch(/\S/);
    }
    const startStop = report.claims.find((c: { id: string }) => c.id === 'start-stop');
    expect(startStop.peers.map((p: { tool: string }) => p.tool)).toEqual(['crun', 'crun', 'lxc', 'unshare', 'node']);
    const tput = report.claims.find((c: { id: string }) => c.id === 'throughput');
    expect(tput.peers).toHaveLength(1);
    // A variant that failed says so instead of a figure.
    const dens = report.claims.find((c: { id: string }) => c.id === 'density');
    expect(dens.vzkit[1].value).toMatch(/^failed: no template/);
  });

  it('names one SVG per plot, next to the JSON, and the markdown links them', () => {
    expect(report.plots.map((p: { file: string }) => p.file)).toEqual([
      '2026-12-01-17-00-00-scale-start.svg', '2026-12-01-17-00-00-scale-memory.svg', '2026-12-01-17-00-00-density.svg', '2026-12-01-17-00-00-fairsched.svg',
    ]);
    const files = plotFiles(report);
    expect(files.map((f: { file: string }) => f.file)).toEqual(report.plots.map((p: { file: string }) => p.file));
    for (const f of files) expect(f.content).toMatch(/^<svg [^>]*>[\s\S]*<\/svg>\n$/);
    const md = renderMarkdown(report);
    expect(md).toMatch(/^# vzkit benchmarks \(quick, /);
    expect(md).toContain('## The original claims, this run');
    for (const p of report.plots) expect(md).toContain(`(./${p.file})`);
    expect(md).toContain('failed: boom');
  });

  it('the checker finds what is missing', () => {
    const broken = JSON.parse(JSON.stringify(report));
    delete broken.claims[0].vzkit[0].command;
    broken.claims.pop();
    delete broken.benchmarks[0].rows[0].command;
    broken.benchmarks[3].requestsPerMinute = {};
    expect(shapeProblems(broken)).toEqual(expect.arrayContaining([
      'claims: density, throughput, overhead, create, start-stop, live',
      'claim density: vzkit figures with commands',
      'latency: rows',
      'throughput: requests and overhead',
    ]));
  });

  it('the newest report in bench/results with the claims section has that shape too', () => {
    const dir = join(import.meta.dirname, '../results');
    const reports = readdirSync(dir).filter((f) => /^\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d\.json$/.test(f)).sort().reverse()
      .map((f) => ({ f, json: JSON.parse(readFileSync(join(dir, f), 'utf8')) }))
      .filter((r) => Array.isArray(r.json.claims));
    // Reports from before the claims section (version 1) are not checked.
    if (!reports.length) return;
    const { f, json } = reports[0]!;
    expect(shapeProblems(json), f).toEqual([]);
    for (const p of json.plots) expect(readdirSync(dir), f).toContain(p.file);
  });
});
