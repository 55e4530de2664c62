// Scale: how the cost of a VE grows with the number running. Busybox VEs are started one
// after another up to the largest N; at each N of the checkpoints (1, 10, 100, 500) the
// start times of the VEs started since the previous one, and the memory per VE (the VEs'
// memory cgroups, their summed PSS, the drop of the host's MemAvailable) are read. Then
// the same 100 VEs are started again by parallel vzctl processes (4 at a time), and all
// are stopped and destroyed, timed.
import { timed, run, timedAsync, pool, summarize, sleep, table } from './lib/measure.mjs';
import { memAvailableKb, memoryParentDir, usageKb, vesMemory } from './lib/memory.mjs';
import { sandbox } from './lib/sandbox.mjs';
import { linePlot } from './lib/svg.mjs';

const round1 = (x) => Math.round(x * 10) / 10;

export async function benchScale({ checkpoints = [1, 10, 100], bulk = 100, concurrency = 4, log = console.log } = {}) {
  const sb = sandbox('scale');
  const { env, vzctl } = sb;
  const n = Math.max(...checkpoints);
  const ids = Array.from({ length: n }, (_, i) => String(sb.base + i));
  const startsMs = [];
  const points = [];
  const totals = {};
  try {
    log(`scale: creating ${n} busybox VEs (${concurrency} at a time)`);
    sb.made.add(ids[0]);
    run([...vzctl, 'create', ids[0], '--ostemplate', 'busybox'], { env });
    for (const id of ids.slice(1)) sb.made.add(id);
    await pool(ids.slice(1), concurrency, (id) => timedAsync([...vzctl, 'create', id, '--ostemplate', 'busybox'], { env }));

    const before = memAvailableKb();
    log(`scale: starting ${n} VEs one after another (checkpoints ${checkpoints.join(', ')})`);
    let prev = 0;
    for (const [i, id] of ids.entries()) {
      startsMs.push(timed([...vzctl, 'start', id], { env }));
      const count = i + 1;
      if (!checkpoints.includes(count)) continue;
      await sleep(500); // the guests' rcS (syslogd) settles
      const running = ids.slice(0, count);
      const mem = vesMemory(sb.parentName, running);
      const parent = memoryParentDir(sb.parentName);
      points.push({
        n: count,
        startMs: summarize(startsMs.slice(prev, count)),
        memPerVeKb: {
          cgroup: mem.cgroupKb,
          pss: mem.pssKb,
          parentCgroup: parent ? Math.round(usageKb(parent) / count) : null,
          memAvailableDrop: Math.round((before - memAvailableKb()) / count),
        },
        processes: mem.processes,
      });
      prev = count;
    }
    const b = Math.min(bulk, n);
    totals[`start ${b} VEs, one vzctl after another (s)`] = round1(startsMs.slice(0, b).reduce((a, x) => a + x, 0) / 1000);
    log(`scale: stopping ${n} VEs (${concurrency} at a time)`);
    totals[`stop --fast ${n} VEs, ${concurrency} vzctl at a time (s)`] = await wall(() => pool(ids, concurrency, (id) => timedAsync([...vzctl, 'stop', id, '--fast'], { env })));
    log(`scale: starting ${b} VEs, ${concurrency} vzctl at a time`);
    totals[`start ${b} VEs, ${concurrency} vzctl at a time (s)`] = await wall(() => pool(ids.slice(0, b), concurrency, (id) => timedAsync([...vzctl, 'start', id], { env })));
    await pool(ids.slice(0, b), concurrency, (id) => timedAsync([...vzctl, 'stop', id, '--fast'], { env }));
    log(`scale: destroying ${n} VEs (${concurrency} at a time)`);
    totals[`destroy ${n} VEs, ${concurrency} vzctl at a time (s)`] = await wall(() => pool(ids, concurrency, async (id) => {
      await timedAsync([...vzctl, 'destroy', id], { env });
      sb.made.delete(id);
    }));
  } finally {
    await sb.teardown(log);
  }
  return { name: 'scale', checkpoints: points, totals, startsMs: startsMs.map(round1), concurrency, bulk: Math.min(bulk, n) };
}

async function wall(fn) {
  const t0 = Date.now();
  await fn();
  return round1((Date.now() - t0) / 1000);
}

export function renderScale(r) {
  const rows = r.checkpoints.map((p) => ({
    'VEs running (N)': p.n,
    'start ms (median)': p.startMs.median,
    'start ms (p90)': p.startMs.p90,
    'cgroup kB/VE': p.memPerVeKb.cgroup,
    'parent cgroup kB/VE': p.memPerVeKb.parentCgroup,
    'PSS kB/VE': p.memPerVeKb.pss,
    'MemAvailable drop kB/VE': p.memPerVeKb.memAvailableDrop,
  }));
  const cols = ['VEs running (N)', 'start ms (median)', 'start ms (p90)', 'cgroup kB/VE', 'parent cgroup kB/VE', 'PSS kB/VE', 'MemAvailable drop kB/VE'];
  return `${table(rows, cols)}\n\n(start ms at N: the VEs started since the previous N)\n\n${Object.entries(r.totals).map(([k, v]) => `${k}: ${v}`).join('\n')}`;
}

/**
 * Two plots: start time per VE against N, and memory per VE against N (the cgroups and
 * PSS; the MemAvailable drop, in the table, moves with the rest of the machine).
 */
export function scaleSvgs(r) {
  const xs = r.checkpoints.map((p) => p.n);
  const logX = Math.max(...xs) >= 50;
  return {
    'scale-start': linePlot({
      title: 'vzctl start of a busybox VE against the number of VEs running',
      xLabel: 'VEs running (N)', yLabel: 'start time (ms)', logX,
      series: [
        { name: 'each start', points: r.startsMs.map((ms, i) => [i + 1, ms]), dots: true },
        { name: 'median since the previous N', points: r.checkpoints.map((p) => [p.n, p.startMs.median]) },
        { name: 'p90 since the previous N', points: r.checkpoints.map((p) => [p.n, p.startMs.p90]) },
      ],
    }),
    'scale-memory': linePlot({
      title: 'Memory per running busybox VE against the number of VEs running',
      xLabel: 'VEs running (N)', yLabel: 'kB per VE', logX,
      series: [
        { name: 'memory cgroup (mean)', points: r.checkpoints.map((p) => [p.n, p.memPerVeKb.cgroup]) },
        { name: 'PSS of its processes (mean)', points: r.checkpoints.map((p) => [p.n, p.memPerVeKb.pss]) },
      ],
    }),
  };
}
