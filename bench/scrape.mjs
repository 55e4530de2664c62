// The issue's metrics target on real VEs: a Prometheus scrape of vzkitd's /metrics with
// N busybox VEs running (1000 in a full run), each with a venet address (so the traffic
// series exist), CPU measured by the daemon itself (vzkit_scrape_cpu_seconds of the
// previous scrape). bench/vzkitd.mjs measures the same at 100 VEs and on 1000 recorded
// cgroup trees; this one pays for 1000 real ones.
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { pool, run, timedAsync } from './lib/measure.mjs';
import { benchNetns, veAddress } from './lib/netns.mjs';
import { sandbox } from './lib/sandbox.mjs';
import { scrapeCpu, startDaemon, stopDaemon } from './vzkitd.mjs';

const TARGET_MS = 200;

export async function benchScrape({ ves = 1000, runs = 20, log = console.log } = {}) {
  const netns = benchNetns('scrape');
  const sb = sandbox('scrape', { netns });
  const { env, vzctl } = sb;
  const local = { ...env, VZKIT_NO_DAEMON: '1' };
  const ids = Array.from({ length: ves }, (_, i) => String(sb.base + i));
  let d;
  let result;
  try {
    log(`create ${ves} busybox VEs with a venet address each`);
    await pool(ids, 2, async (id, i) => {
      sb.made.add(id);
      await timedAsync([...vzctl, 'create', id, '--ostemplate', 'busybox', '--ipadd', veAddress(i)], { env: local, timeout: 120_000 });
    });
    const list = `${ids[0]}-${ids[ids.length - 1]}`;
    const t0 = Date.now();
    run([...vzctl, 'start', list, '--parallel', '4'], { env: local, timeout: 60 * 60_000 });
    const startS = (Date.now() - t0) / 1000;
    log(`${ves} VEs started in ${startS.toFixed(1)} s`);
    const running = run([...sb.tool('vzlist'), '-H', '-o', 'ctid'], { env: local }).stdout
      .split('\n').filter((l) => l.trim()).length;
    d = await startDaemon(env, log, netns.inNs);
    // Two samplings first, so that the traffic and failcnt baselines are in.
    await new Promise((r) => setTimeout(r, 2500));
    log(`scrape /metrics at ${running} running VEs, x${runs}`);
    const s = await scrapeCpu(d.socket, runs);
    const rss = Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${d.info.pid}/status`, 'utf8'))?.[1] ?? NaN);
    result = { ves, running, startS: Math.round(startS * 10) / 10, ...s, daemonRssKb: rss };
    log(`scrape at ${running} VEs: ${s.cpuMs.median} ms CPU (median), ${s.wallMs.median} ms wall, ${s.samples} samples, ${Math.round(s.bytes / 1024)} KiB`);
  } finally {
    await stopDaemon(d);
    await sb.teardown(log);
    netns.remove();
  }
  return {
    name: 'scrape',
    scrape: result,
    target: { scrape: { rule: `a scrape of 1000 running VEs costs under ${TARGET_MS} ms of CPU`, ves: result.running, cpuMs: result.cpuMs.median, met: result.running >= 1000 && result.cpuMs.median < TARGET_MS } },
  };
}

export function renderScrape(r) {
  const s = r.scrape;
  return [
    `${s.running} running busybox VEs (started in ${s.startS} s with vzctl start LIST --parallel 4), a venet address each`,
    `CPU of vzkitd per scrape: median ${s.cpuMs.median} ms (p90 ${s.cpuMs.p90}), ${s.wallMs.median} ms wall, ${s.samples} samples, ${Math.round(s.bytes / 1024)} KiB; vzkitd's RSS ${Math.round(s.daemonRssKb / 1024)} MiB`,
    `${r.target.scrape.rule}: ${r.target.scrape.met ? 'met' : s.running < 1000 ? `not measured at 1000 (${s.running} VEs)` : 'not met'}`,
  ].join('\n');
}

// `node bench/scrape.mjs [N]` runs it alone and prints the result as JSON.
if (import.meta.url === `file://${process.argv[1]}`) {
  const ves = Number(process.argv[2] ?? 1000);
  console.log(JSON.stringify(await benchScrape({ ves, log: (m) => console.error(`[scrape] ${m}`) }), null, 2));
}
