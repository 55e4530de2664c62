// `node bench/ab.mjs A_DIST B_DIST [--rounds N] [--a-create FLAGS] [--b-create FLAGS]`: two
// builds of the CLI (a packages/cli/dist of two checkouts, each finding its own launcher
// beside it) compared on the same busybox VE operations, interleaved round by round (A
// then B, then B then A), so that what else the machine does hits both alike. Prints
// medians and the difference; docs/performance.md was measured with it. `--a-create` /
// `--b-create` add create flags to one side: one build, two kinds of VE
// (`--a-create "--local_uid 0"`: A is a VE of the host root, B an unprivileged one).
import { join } from 'node:path';
import { timed, run, summarize, table } from './lib/measure.mjs';
import { sandbox } from './lib/sandbox.mjs';

const args = process.argv.slice(2);
const rounds = Number(args[args.indexOf('--rounds') + 1]) || 20;
const VALUED = ['--rounds', '--a-create', '--b-create'];
const flagsOf = (name) => (args.includes(name) ? args[args.indexOf(name) + 1].split(/\s+/).filter(Boolean) : []);
const createFlags = [flagsOf('--a-create'), flagsOf('--b-create')];
const dists = args.filter((a, i) => !a.startsWith('--') && !VALUED.includes(args[i - 1]));
if (dists.length !== 2) {
  console.error('usage: node bench/ab.mjs A_DIST B_DIST [--rounds N] [--a-create FLAGS] [--b-create FLAGS]');
  process.exit(2);
}
delete process.env.VZKIT_LAUNCHER;

const OPS = [
  ['create', (id, _i, v) => ['create', id, '--ostemplate', 'busybox', ...createFlags[v]]],
  ['start', (id) => ['start', id]],
  ['exec true', (id) => ['exec', id, 'true']],
  ['set --cpulimit', (id, i) => ['set', id, '--cpulimit', String(i % 2 ? 25 : 50)]],
  ['set --ram', (id, i) => ['set', id, '--ram', `${i % 2 ? 256 : 320}M`]],
  ['status', (id) => ['status', id]],
  ['stop --fast', (id) => ['stop', id, '--fast']],
  ['destroy', (id) => ['destroy', id]],
];

const variants = dists.map((dist, v) => {
  const sb = sandbox(`ab${v}`);
  return { v, dist, sb, vzctl: [process.execPath, join(dist, 'vzctl.js')], id: String(sb.base + 1), samples: Object.fromEntries(OPS.map(([k]) => [k, []])) };
});
const node = [];
try {
  for (const v of variants) {
    // The busybox template, and a warm-up cycle.
    v.sb.made.add(v.id);
    for (const [, argv] of OPS) run([...v.vzctl, ...argv(v.id, 0, v.v)], { env: v.sb.env });
  }
  for (let i = 0; i < rounds; i++) {
    node.push(timed([process.execPath, '-e', '0']));
    const order = i % 2 ? [...variants].reverse() : variants;
    for (const v of order) {
      for (const [k, argv] of OPS) v.samples[k].push(timed([...v.vzctl, ...argv(v.id, i, v.v)], { env: v.sb.env }));
    }
    process.stderr.write(`\r[ab] round ${i + 1}/${rounds}`);
  }
  process.stderr.write('\n');
} finally {
  for (const v of variants) await v.sb.teardown(console.error);
}
const rows = OPS.map(([k]) => {
  const [a, b] = variants.map((v) => summarize(v.samples[k]));
  return { op: `vzctl ${k}`, 'A median ms': a.median, 'B median ms': b.median, 'B - A ms': Math.round((b.median - a.median) * 10) / 10, 'A p90': a.p90, 'B p90': b.p90 };
});
console.log(`A: ${dists[0]} ${createFlags[0].join(' ')}\nB: ${dists[1]} ${createFlags[1].join(' ')}\n${rounds} interleaved rounds; node -e 0: ${summarize(node).median} ms (median)\n`);
console.log(table(rows, ['op', 'A median ms', 'B median ms', 'B - A ms', 'A p90', 'B p90']));
