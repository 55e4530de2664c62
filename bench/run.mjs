// `pnpm bench [--quick]`: runs the benchmark suite, prints tables, writes
// bench/results/<date>.json and a markdown report beside it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchStartStop, renderStartStop, machine } from './start-stop.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes('--quick');
const outDir = process.env.VZKIT_BENCH_OUT ?? join(here, 'results');

const t0 = Date.now();
const startStop = await benchStartStop({ runs: quick ? 10 : 30, log: (m) => console.error(`[bench] ${m}`) });
const report = {
  version: 1,
  date: new Date().toISOString(),
  mode: quick ? 'quick' : 'full',
  machine: machine(),
  durationS: Math.round((Date.now() - t0) / 100) / 10,
  benchmarks: [startStop],
};
const text = `# vzkit benchmarks (${report.mode}, ${report.date})\n\nMachine: kernel ${report.machine.kernel}, ${report.machine.cpus} CPUs, Node ${report.machine.node}\n\n## start / stop\n\n\`\`\`\n${renderStartStop(startStop)}\n\`\`\`\n`;
console.log(text);
mkdirSync(outDir, { recursive: true });
const stamp = report.date.slice(0, 19).replace(/[:T]/g, '-');
writeFileSync(join(outDir, `${stamp}.json`), JSON.stringify(report, null, 2) + '\n');
writeFileSync(join(outDir, `${stamp}.md`), text);
console.error(`[bench] wrote ${join(outDir, `${stamp}.json`)}`);
