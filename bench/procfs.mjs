// vzprocfs benchmark: what a read of the files it serves costs inside a VE, beside the
// same read of a kernel procfs file and of a file lxcfs serves, and the memory of the
// one server process beside lxcfs's. Reads are timed inside the VE (a shell loop of
// `cat`, timed by /proc/uptime before and after), so vzctl exec's own start is left out;
// each figure is per read and includes the fork and exec of `cat`, which the kernel file
// shows alone.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, summarize, table, factLines } from './lib/measure.mjs';
import { pssKb } from './lib/memory.mjs';
import { sandbox } from './lib/sandbox.mjs';

const FILES = [
  ['/proc/version', 'kernel procfs (baseline: the cost of cat)'],
  ['/proc/loadavg', 'lxcfs'],
  ['/proc/meminfo', 'vzprocfs (RAM and swap of the VE)'],
  ['/dev/vz/user_beancounters', 'vzprocfs (beancounters of the VE)'],
  ['/dev/vz/veinfo', 'vzprocfs (veinfo line of the VE)'],
];

/** A shell line that cats `file` `n` times and prints the uptime before and after. */
const loop = (file, n) => `a=$(cut -d' ' -f1 /proc/uptime); i=0; while [ $i -lt ${n} ]; do cat ${file} >/dev/null || exit 1; i=$((i+1)); done; b=$(cut -d' ' -f1 /proc/uptime); echo "$a $b"`;

function perReadMs(out, n) {
  const [a, b] = out.trim().split('\n').pop().split(' ').map(Number);
  if (!(b >= a)) throw new Error(`no timing in: ${out.trim().slice(0, 200)}`);
  return Math.round(((b - a) * 1000 / n) * 1000) / 1000;
}

function memoryOf(pidfile) {
  const pid = Number(readFileSync(pidfile, 'utf8').trim());
  const rss = Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return { pid, rssKb: rss, pssKb: pssKb([pid]) };
}

export async function benchProcfs({ rounds = 5, reads = 200, log = console.log } = {}) {
  const sb = sandbox('procfs');
  const { env, vzctl, root, base } = sb;
  const reads_ = {};
  const memory = {};
  const facts = {};
  try {
    const id = String(base);
    run([...vzctl, 'create', id, '--ostemplate', 'busybox', '--ram', '256M', '--swap', '512M'], { env });
    sb.made.add(id);
    run([...vzctl, 'start', id], { env });
    const samples = Object.fromEntries(FILES.map(([f]) => [f, []]));
    log(`reads inside a VE: ${FILES.length} files x ${reads} x${rounds}`);
    // Interleaved, so a noisy moment of the machine hits every file alike.
    for (let i = 0; i < rounds; i++) {
      for (const [file] of FILES) samples[file].push(perReadMs(run([...vzctl, 'exec', id, loop(file, reads)], { env }).stdout, reads));
    }
    for (const [file, what] of FILES) reads_[file] = { what, ...summarize(samples[file]) };
    // A flood from the VE: 4 readers at once, each as fast as it can.
    const flood = run([...vzctl, 'exec', id, `a=$(cut -d' ' -f1 /proc/uptime); for j in 1 2 3 4; do ( i=0; while [ $i -lt ${reads} ]; do cat /dev/vz/user_beancounters >/dev/null; i=$((i+1)); done ) & done; wait; b=$(cut -d' ' -f1 /proc/uptime); echo "$a $b"`], { env }).stdout;
    facts[`4 readers of /dev/vz/user_beancounters at once, ${reads} reads each`] = `${perReadMs(flood, 4 * reads)} ms per read`;
    memory['vzprocfs (one per vzkit root)'] = memoryOf(join(root, 'run/vzkit/vzprocfs/vzprocfs.pid'));
    try {
      memory['lxcfs (one per vzkit root)'] = memoryOf(join(root, 'run/vzkit/lxcfs/lxcfs.pid'));
    } catch {
      facts.lxcfs = 'not running on this host';
    }
    facts.kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  } finally {
    await sb.teardown(log);
  }
  return { name: 'procfs', reads: reads_, memory, facts, perRound: reads };
}

export function renderProcfs(r) {
  const rows = Object.entries(r.reads).map(([file, s]) => ({ file, 'served by': s.what, runs: s.runs, 'median ms/read': s.median, 'p90 ms': s.p90, 'min ms': s.min, 'max ms': s.max }));
  let out = table(rows, ['file', 'served by', 'runs', 'median ms/read', 'p90 ms', 'min ms', 'max ms']);
  const mem = Object.entries(r.memory).map(([what, m]) => ({ process: what, 'RSS kB': m.rssKb, 'PSS kB': m.pssKb }));
  out += `\n\n${table(mem, ['process', 'RSS kB', 'PSS kB'])}`;
  out += `\n\n${factLines(r.facts)}`;
  return out;
}
