// Beancounter benchmark: what ubc costs a VE (start time with and without limits, kernel
// memory per VE cgroup) and what reading every beancounter of many running VEs costs.
import { mkdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { timed, run, startSamples, summarize, timingTable, factLines } from './lib/measure.mjs';
import { removeCgroupParent, selfCgroupDirs } from './lib/cgroup-parent.mjs';
import { sandbox } from './lib/sandbox.mjs';

/**
 * Kernel memory charged for `groups` VE cgroup sets (one directory per hierarchy, with
 * limits written as ubc writes them), per set. A shell in a memory cgroup of its own
 * makes them, so the kernel charges what they cost to that cgroup and nothing else
 * running on the machine blurs the figure.
 */
function cgroupCost(parentName, groups) {
  const dirs = selfCgroupDirs(parentName);
  for (const d of dirs) mkdirSync(d, { recursive: true });
  const memDir = dirs.find((d) => d.includes('/memory/'));
  if (!memDir) return null;
  const meter = join(memDir, 'meter');
  mkdirSync(meter);
  const mk = dirs.map((d) => {
    const setup = d.includes('/cpuset/') ? `cat ${d}/cpuset.cpus > $g/cpuset.cpus; cat ${d}/cpuset.mems > $g/cpuset.mems;`
      : d.includes('/pids/') ? 'echo 1000 > $g/pids.max;'
      : d.includes('/memory/') && !d.endsWith('/meter') ? 'echo 536870912 > $g/memory.limit_in_bytes;' : '';
    return `g=${d}/ve$i; mkdir $g; ${setup}`;
  }).join(' ');
  const script = `echo $$ > ${meter}/cgroup.procs; a=$(cat ${meter}/memory.kmem.usage_in_bytes); i=0; while [ $i -lt ${groups} ]; do ${mk} i=$((i+1)); done; b=$(cat ${meter}/memory.kmem.usage_in_bytes); echo $((b-a))`;
  const bytes = Number(run(['sh', '-c', script]).stdout.trim());
  for (let i = 0; i < groups; i++) for (const d of dirs) rmdirSync(join(d, `ve${i}`));
  rmdirSync(meter);
  return Math.round(bytes / groups);
}

export async function benchUbc({ runs = 30, ves = 100, log = console.log } = {}) {
  const sb = sandbox('ubc');
  const { env, parentName, base } = sb;
  const bin = sb.tool;
  const results = {};
  const facts = {};
  try {
    const plain = String(base), limited = String(base + 1);
    sb.made.add(plain).add(limited);
    run([...bin('vzctl'), 'create', plain, '--ostemplate', 'busybox'], { env });
    run([...bin('vzctl'), 'create', limited, '--ostemplate', 'busybox', '--config', 'basic'], { env });
    for (const [what, id] of [['vzctl start, no beancounters set', plain], ['vzctl start, ve-basic beancounters', limited]]) {
      log(`${what} x${runs}`);
      results[what] = startSamples(bin('vzctl'), id, env, runs);
    }

    log(`kernel memory of ${ves} VE cgroups`);
    facts['kernel memory per VE cgroup set (bytes, charged to a meter cgroup)'] = cgroupCost(`${parentName}-mem`, ves);

    log(`starting ${ves} VEs (ve-basic)`);
    for (let i = 0; i < ves; i++) {
      const id = String(base + 10 + i);
      sb.made.add(id);
      run([...bin('vzctl'), 'create', id, '--ostemplate', 'busybox', '--config', 'basic'], { env });
      run([...bin('vzctl'), 'start', id], { env });
    }
    // Let the guests' boot scripts finish before the memory is read.
    await new Promise((r) => setTimeout(r, 2000));
    const counters = JSON.parse(run([...bin('vzubc'), '-j'], { env }).stdout);
    const charged = counters.map((ve) => ve.beancounters.find((b) => b.resource === 'physpages').held * 4096);
    facts[`memory charged per running busybox VE (kB, physpages held, mean of ${ves})`] = Math.round(charged.reduce((a, b) => a + b, 0) / charged.length / 1024);
    const quick = Math.max(5, Math.floor(runs / 3));
    log(`reading the beancounters of ${ves} VEs x${quick}`);
    results[`vzubc (table, all ${ves} VEs)`] = summarize(Array.from({ length: quick }, () => timed([...bin('vzubc')], { env })));
    results[`vzubc -j (all ${ves} VEs)`] = summarize(Array.from({ length: quick }, () => timed([...bin('vzubc'), '-j'], { env })));
    results[`vzlist -o ctid,numproc,physpages,physpages.f (${ves} VEs)`] = summarize(Array.from({ length: quick }, () => timed([...bin('vzlist'), '-o', 'ctid,numproc,physpages,physpages.f'], { env })));
    results[`vzlist (default columns, ${ves} VEs)`] = summarize(Array.from({ length: quick }, () => timed([...bin('vzlist')], { env })));
  } finally {
    await sb.teardown(log);
    const left = removeCgroupParent(`${parentName}-mem`);
    if (left.length) log(`warning: cgroups left: ${left.join(', ')}`);
  }
  return { name: 'ubc', results, facts };
}

export function renderUbc(r) {
  return `${timingTable(r.results)}\n\n${factLines(r.facts)}`;
}
