// Throughput: N busybox VEs, each with its own venet address, serve the 4.2 KB page of
// the original announcement from their own busybox httpd; wrk in the bench's network
// namespace (the "host") loads all of them at once, one thread and one connection per
// VE. Then the same busybox httpd runs directly in that namespace as N processes on N
// addresses, loaded the same way: the difference is what the VEs cost. Runs of the two
// alternate, so that a noisy moment of the machine hits both alike.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, timedAsync, pool, summarize, table } from './lib/measure.mjs';
import { benchNetns, hostAddress, veAddress } from './lib/netns.mjs';
import { PAGE, fetchAll, hostHttpds, wrkSpread, writePage } from './lib/http.mjs';
import { sandbox } from './lib/sandbox.mjs';

export async function benchThroughput({ ves = 100, runs = 5, seconds = 30, log = console.log } = {}) {
  const netns = benchNetns('tput');
  const sb = sandbox('tput', { netns });
  const { env, vzctl } = sb;
  const each = Math.max(1, Math.round(seconds / runs));
  const veAddrs = Array.from({ length: ves }, (_, i) => veAddress(i));
  const hostAddrs = Array.from({ length: ves }, (_, i) => hostAddress(i));
  const samples = { ve: [], host: [] };
  const errors = { ve: 0, host: 0 };
  let httpds;
  try {
    log(`throughput: ${ves} busybox VEs with a venet address and the 4.2 KB page`);
    const ids = veAddrs.map((_, i) => String(sb.base + i));
    sb.made.add(ids[0]);
    run([...vzctl, 'create', ids[0], '--ostemplate', 'busybox', '--ipadd', veAddrs[0]], { env });
    await pool(ids.slice(1), 4, (id, i) => {
      sb.made.add(id);
      return timedAsync([...vzctl, 'create', id, '--ostemplate', 'busybox', '--ipadd', veAddrs[i + 1]], { env });
    });
    for (const id of ids) writePage(sb.upper(id));
    await pool(ids, 4, (id) => timedAsync([...vzctl, 'start', id], { env }));
    const inVes = await fetchAll(netns, veAddrs.map((a) => `http://${a}/index.html`), 20_000);
    if (inVes.failed.length) throw new Error(`${inVes.failed.length} of ${ves} VEs do not serve the page (${inVes.failed[0].url}: ${inVes.failed[0].error})`);

    const www = join(sb.root, 'host-www');
    mkdirSync(www);
    writeFileSync(join(www, 'index.html'), PAGE);
    netns.addLoopbackAddresses(hostAddrs);
    httpds = await hostHttpds(netns, hostAddrs, www);
    const onHost = await fetchAll(netns, hostAddrs.map((a) => `http://${a}/index.html`), 10_000);
    if (onHost.failed.length) throw new Error(`${onHost.failed.length} of ${ves} host httpds do not serve the page (${onHost.failed[0].url}: ${onHost.failed[0].error})`);

    log(`throughput: wrk ${runs} x ${each} s against the VEs and against the host's httpds, alternating`);
    for (let i = 0; i < runs; i++) {
      for (const [side, addrs] of [['ve', veAddrs], ['host', hostAddrs]]) {
        const r = wrkSpread(netns, addrs, { seconds: each, dir: sb.root });
        if (!r) throw new Error(`wrk gave no result against the ${side === 've' ? 'VEs' : 'host httpds'}`);
        samples[side].push(r.perMinute);
        errors[side] += r.non2xx + (r.socketErrors ? r.socketErrors.connect + r.socketErrors.timeout : 0);
      }
    }
  } finally {
    httpds?.stop();
    await sb.teardown(log);
    netns.remove();
  }
  const overheads = samples.ve.map((v, i) => (1 - v / samples.host[i]) * 100);
  const ve = summarize(samples.ve), host = summarize(samples.host), oh = summarize(overheads);
  return {
    name: 'throughput',
    ves,
    pageBytes: Buffer.byteLength(PAGE),
    runs,
    secondsEach: each,
    server: 'busybox httpd (one per VE; one per address on the host)',
    load: `wrk -t${ves} -c${ves} -d${each}s, a Lua setup() giving each thread its own address`,
    requestsPerMinute: { ve, host },
    overheadPct: { median: Math.round((1 - ve.median / host.median) * 1000) / 10, min: oh.min, max: oh.max },
    errors,
  };
}

export function renderThroughput(r) {
  const rows = [['VEs over venet', r.requestsPerMinute.ve], ['the same httpd on the host', r.requestsPerMinute.host]].map(([what, s]) => ({
    [`${r.ves} x busybox httpd, ${r.pageBytes} B page`]: what, runs: s.runs, 'req/min (median)': s.median, 'min': s.min, 'max': s.max,
  }));
  const first = `${r.ves} x busybox httpd, ${r.pageBytes} B page`;
  return `${table(rows, [first, 'runs', 'req/min (median)', 'min', 'max'])}\n\nload: ${r.load}, ${r.runs} runs each, alternating\noverhead of the VEs against the host: ${r.overheadPct.median} % (median; per run ${r.overheadPct.min} to ${r.overheadPct.max} %)\nconnect/timeout errors and non-2xx answers: VEs ${r.errors.ve}, host ${r.errors.host}`;
}
