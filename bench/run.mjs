// `pnpm bench [--quick]`: runs the benchmark suite, prints tables, writes
// bench/results/<date>.json and a markdown report beside it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchStartStop, renderStartStop, machine } from './start-stop.mjs';
import { benchUbc, renderUbc } from './ubc.mjs';
import { benchFairsched, renderFairsched, fairschedSvg } from './fairsched.mjs';
import { benchNet, renderNet } from './net.mjs';
import { benchTemplates, renderTemplates } from './templates.mjs';
import { benchQuota, renderQuota } from './quota.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes('--quick');
const outDir = process.env.VZKIT_BENCH_OUT ?? join(here, 'results');

const t0 = Date.now();
const log = (m) => console.error(`[bench] ${m}`);
const startStop = await benchStartStop({ runs: quick ? 10 : 30, log });
const ubc = await benchUbc({ runs: quick ? 10 : 30, ves: quick ? 20 : 100, log });
const fairsched = await benchFairsched({ phaseS: quick ? 5 : 10, log });
const net = await benchNet({ runs: quick ? 10 : 30, seconds: quick ? 3 : 10, log });
const templates = await benchTemplates({ ves: quick ? 3 : 10, log });
const quota = await benchQuota({ runs: quick ? 5 : 15, writeMb: quick ? 128 : 256, writes: quick ? 3 : 5, log });
const report = {
  version: 1,
  date: new Date().toISOString(),
  mode: quick ? 'quick' : 'full',
  machine: machine(),
  durationS: Math.round((Date.now() - t0) / 100) / 10,
  benchmarks: [startStop, ubc, fairsched, net, templates, quota],
};
const stamp = report.date.slice(0, 19).replace(/[:T]/g, '-');
const text = `# vzkit benchmarks (${report.mode}, ${report.date})\n\nMachine: kernel ${report.machine.kernel}, ${report.machine.cpus} CPUs, Node ${report.machine.node}\n\n## start / stop\n\n\`\`\`\n${renderStartStop(startStop)}\n\`\`\`\n\n## beancounters (ubc)\n\n\`\`\`\n${renderUbc(ubc)}\n\`\`\`\n\n## fair CPU scheduler\n\n\`\`\`\n${renderFairsched(fairsched)}\n\`\`\`\n\n![CPU shares](./${stamp}-fairsched.svg)\n\n## network (venet)\n\n\`\`\`\n${renderNet(net)}\n\`\`\`\n\n## template sharing (Debian VEs)\n\n\`\`\`\n${renderTemplates(templates)}\n\`\`\`\n\n## disk quota\n\n\`\`\`\n${renderQuota(quota)}\n\`\`\`\n`;
console.log(text);
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, `${stamp}-fairsched.svg`), fairschedSvg(fairsched));
writeFileSync(join(outDir, `${stamp}.json`), JSON.stringify(report, null, 2) + '\n');
writeFileSync(join(outDir, `${stamp}.md`), text);
console.error(`[bench] wrote ${join(outDir, `${stamp}.json`)}`);
