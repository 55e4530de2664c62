// Disk quota benchmark: what the quota costs a VE's create and start (a busybox VE with
// and without --diskspace), and write throughput inside a quota'd VE against a VE
// without quota and the host itself (dd of a bounded size, fsync'd, dd's own timing).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { timed, run, startSamples, summarize, table, timingTable, factLines } from './lib/measure.mjs';
import { sandbox } from './lib/sandbox.mjs';

/**
 * A shell line that writes `mb` MiB to `file` with fsync and prints the seconds it took,
 * from /proc/uptime before and after (the busybox dd of the VE prints no timing), so the
 * host and the VEs are timed alike and vzctl exec's own start is left out.
 */
function ddLine(file, mb) {
  return `a=$(cut -d' ' -f1 /proc/uptime); dd if=/dev/zero of=${file} bs=1M count=${mb} conv=fsync 2>/dev/null; b=$(cut -d' ' -f1 /proc/uptime); rm -f ${file}; echo "$a $b"`;
}

function ddRate(out, mb) {
  const [a, b] = out.trim().split('\n').pop().split(' ').map(Number);
  if (!(b > a)) throw new Error(`no timing in: ${out.trim().slice(0, 200)}`);
  return Math.round((mb / (b - a)) * 10) / 10;
}

function rates(samples) {
  const s = summarize(samples);
  return { runs: s.runs, median: s.median, min: s.min, max: s.max };
}

export async function benchQuota({ runs = 15, writeMb = 256, writes = 5, log = console.log } = {}) {
  const sb = sandbox('quota');
  const { env, vzctl, root, base } = sb;
  const results = {};
  const throughput = {};
  const facts = {};
  const made = sb.made;
  const space = `${Math.ceil((writeMb * 2) / 1024)}G`;
  try {
    // create (+ destroy, not timed) with and without a disk of its own.
    for (const [what, flags] of [['vzctl create, no quota', []], [`vzctl create, --diskspace ${space}`, ['--diskspace', space]]]) {
      log(`${what} x${runs}`);
      const samples = [];
      for (let i = 0; i < runs + 1; i++) {
        const id = String(base);
        made.add(id);
        const t = timed([...vzctl, 'create', id, '--ostemplate', 'busybox', ...flags], { env });
        run([...vzctl, 'destroy', id], { env });
        made.delete(id);
        if (i > 0) samples.push(t);
      }
      results[what] = summarize(samples);
    }

    const plain = String(base + 1), quotad = String(base + 2);
    run([...vzctl, 'create', plain, '--ostemplate', 'busybox'], { env });
    made.add(plain);
    run([...vzctl, 'create', quotad, '--ostemplate', 'busybox', '--diskspace', space], { env });
    made.add(quotad);
    facts['image mode on this host'] = JSON.parse(readFileSync(join(root, 'var/lib/vzkit/private', quotad, 'quota.json'), 'utf8')).mode;
    for (const [what, id] of [['vzctl start, no quota', plain], [`vzctl start, --diskspace ${space} (mount the image)`, quotad]]) {
      log(`${what} x${runs}`);
      results[what] = startSamples(vzctl, id, env, runs);
    }

    log(`write throughput: dd ${writeMb} MB x${writes}`);
    for (const id of [plain, quotad]) run([...vzctl, 'start', id], { env });
    const inVe = (id) => ddRate(run([...vzctl, 'exec', id, ddLine('/root/bench', writeMb)], { env }).stdout, writeMb);
    const onHost = () => ddRate(run(['sh', '-c', ddLine(join(root, 'bench-host'), writeMb)], { env }).stdout, writeMb);
    const samples = { host: [], plain: [], quotad: [] };
    // Interleaved, so a noisy moment of the machine hits every case alike.
    for (let i = 0; i < writes; i++) {
      samples.host.push(onHost());
      samples.plain.push(inVe(plain));
      samples.quotad.push(inVe(quotad));
    }
    throughput[`host (file on the host's filesystem)`] = rates(samples.host);
    throughput['VE without quota (overlay on the host\'s filesystem)'] = rates(samples.plain);
    throughput[`VE with --diskspace ${space} (overlay on its ext4 image, loop device)`] = rates(samples.quotad);
    log('vzquota stat x10');
    const vzquota = sb.tool('vzquota');
    results['vzquota stat (running VE)'] = summarize(Array.from({ length: 10 }, () => timed([...vzquota, 'stat', quotad], { env })));
  } finally {
    await sb.teardown(log);
  }
  return { name: 'quota', results, throughput, facts, writeMb };
}

export function renderQuota(r) {
  let out = timingTable(r.results);
  const tp = Object.entries(r.throughput).map(([what, s]) => ({ [`dd ${r.writeMb} MB, conv=fsync`]: what, runs: s.runs, 'median MB/s': s.median, 'min MB/s': s.min, 'max MB/s': s.max }));
  out += `\n\n${table(tp, [`dd ${r.writeMb} MB, conv=fsync`, 'runs', 'median MB/s', 'min MB/s', 'max MB/s'])}`;
  out += `\n\n${factLines(r.facts)}`;
  return out;
}
