// `pnpm bench [--quick] [--only NAME,...]`: runs the benchmark suite, prints the report,
// writes bench/results/<date>.json, a markdown report and SVG plots beside it.
// A benchmark that fails is reported as failed; the others still run.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchLatency, machine } from './latency.mjs';
import { benchScale } from './scale.mjs';
import { benchDensity, DEBIAN } from './density.mjs';
import { benchThroughput } from './throughput.mjs';
import { benchUbc } from './ubc.mjs';
import { benchFairsched } from './fairsched.mjs';
import { benchNet } from './net.mjs';
import { benchTemplates } from './templates.mjs';
import { benchQuota } from './quota.mjs';
import { benchVzkitd } from './vzkitd.mjs';
import { benchScrape } from './scrape.mjs';
import { benchProcfs } from './procfs.mjs';
import { benchBulk } from './bulk.mjs';
import { buildReport, plotFiles, renderMarkdown, stampOf } from './lib/report.mjs';
import { snapshotCli } from './lib/sandbox.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes('--quick');
const onlyArg = process.argv.find((a, i) => process.argv[i - 1] === '--only' || a.startsWith('--only='));
const only = onlyArg ? new Set(onlyArg.replace(/^--only=/, '').split(',')) : null;
const outDir = process.env.VZKIT_BENCH_OUT ?? join(here, 'results');
const log = (m) => console.error(`[bench] ${m}`);

// Sizes: quick fits CI (under 5 minutes on 2 CPUs with the Debian template in the
// machine cache); full is the issue's (about 40 minutes, bench/README.md).
const plan = {
  latency: () => benchLatency({ runs: quick ? 10 : 30, haltRuns: quick ? 3 : 10, log }),
  scale: () => benchScale({ checkpoints: quick ? [1, 10, 100] : [1, 10, 100, 500], bulk: 100, concurrency: 4, log }),
  density: () => benchDensity({
    variants: [
      { template: 'busybox', sharing: 'shared', bound: quick ? 100 : 1000, budgetS: quick ? 60 : 900 },
      { template: DEBIAN, sharing: 'shared', bound: quick ? 20 : 300, budgetS: quick ? 75 : 1500 },
      ...(quick ? [] : [{ template: DEBIAN, sharing: 'copies', bound: 60, budgetS: 600 }]),
    ],
    log,
  }),
  throughput: () => benchThroughput({ ves: quick ? 20 : 100, runs: 5, seconds: quick ? 5 : 30, log }),
  ubc: () => benchUbc({ runs: quick ? 5 : 30, ves: quick ? 20 : 100, log }),
  fairsched: () => benchFairsched({ phaseS: quick ? 5 : 10, log }),
  net: () => benchNet({ runs: quick ? 5 : 30, seconds: quick ? 2 : 10, log }),
  templates: () => benchTemplates({ ves: quick ? 2 : 10, settleMs: quick ? 3000 : 5000, log }),
  quota: () => benchQuota({ runs: quick ? 5 : 15, writeMb: quick ? 128 : 256, writes: quick ? 3 : 5, log }),
  vzkitd: () => benchVzkitd({ runs: quick ? 5 : 20, bulk: quick ? 20 : 100, log }),
  scrape: () => benchScrape({ ves: quick ? 100 : 1000, runs: quick ? 5 : 20, log }),
  procfs: () => benchProcfs({ rounds: quick ? 3 : 10, reads: quick ? 100 : 300, log }),
  bulk: () => benchBulk({ ves: quick ? 20 : 100, rounds: quick ? 1 : 3, parallel: 8, log }),
};

snapshotCli();
const t0 = Date.now();
const benchmarks = [];
for (const [name, fn] of Object.entries(plan)) {
  if (only && !only.has(name)) continue;
  const t = Date.now();
  log(`== ${name}`);
  try {
    benchmarks.push({ ...(await fn()), seconds: Math.round((Date.now() - t) / 100) / 10 });
  } catch (e) {
    log(`${name} failed: ${e.stack ?? e}`);
    benchmarks.push({ name, error: String(e.message ?? e).slice(0, 500), seconds: Math.round((Date.now() - t) / 100) / 10 });
  }
  log(`${name}: ${Math.round((Date.now() - t) / 1000)} s`);
}
const report = buildReport({
  mode: quick ? 'quick' : 'full',
  date: new Date().toISOString(),
  durationS: Math.round((Date.now() - t0) / 100) / 10,
  machine: machine(),
  benchmarks,
  command: ['pnpm bench', ...(quick ? ['--quick'] : []), ...(only ? ['--only', [...only].join(',')] : [])].join(' '),
});
const stamp = stampOf(report.date);
const text = renderMarkdown(report);
console.log(text);
mkdirSync(outDir, { recursive: true });
for (const { file, content } of plotFiles(report)) writeFileSync(join(outDir, file), content);
writeFileSync(join(outDir, `${stamp}.json`), JSON.stringify(report, null, 2) + '\n');
writeFileSync(join(outDir, `${stamp}.md`), text);
console.error(`[bench] wrote ${join(outDir, `${stamp}.json`)} (${report.durationS} s)`);
