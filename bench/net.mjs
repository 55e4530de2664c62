// Network benchmark: what a venet address costs a VE's start, and HTTP throughput over
// loopback-like paths: wrk against a VE's busybox httpd on its venet address vs the same
// httpd on the host. Everything runs in a network namespace made here (the "host"),
// with addresses from 198.18.0.0/15, so nothing reaches the machine's own network.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { timed, run, startSamples, summarize, timingTable, factLines } from './lib/measure.mjs';
import { benchNetns, HOST_IP } from './lib/netns.mjs';
import { PAGE, hostHttpds, wrk, writePage } from './lib/http.mjs';
import { sandbox } from './lib/sandbox.mjs';

export async function benchNet({ runs = 30, seconds = 10, log = console.log } = {}) {
  const netns = benchNetns('net');
  const sb = sandbox('net', { netns });
  const { env, vzctl } = sb;
  const results = {};
  const facts = {};
  let hostHttpd;
  try {
    const plain = String(sb.base), addressed = String(sb.base + 1);
    sb.made.add(plain).add(addressed);
    run([...vzctl, 'create', plain, '--ostemplate', 'busybox'], { env });
    run([...vzctl, 'create', addressed, '--ostemplate', 'busybox', '--ipadd', '198.18.1.1'], { env });
    for (const [what, id] of [['vzctl start, no network address', plain], ['vzctl start, one venet address', addressed]]) {
      log(`${what} x${runs}`);
      results[what] = startSamples(vzctl, id, env, runs);
    }
    log('set --ipadd / --ipdel on a running VE');
    run([...vzctl, 'start', plain], { env });
    const add = [], del = [];
    for (let i = 0; i < Math.max(5, Math.floor(runs / 2)); i++) {
      add.push(timed([...vzctl, 'set', plain, '--ipadd', '198.18.1.9'], { env }));
      del.push(timed([...vzctl, 'set', plain, '--ipdel', '198.18.1.9'], { env }));
    }
    results['vzctl set --ipadd (running VE)'] = summarize(add);
    results['vzctl set --ipdel (running VE)'] = summarize(del);
    run([...vzctl, 'stop', plain, '--fast'], { env });

    if (!existsSync('/usr/bin/wrk')) {
      facts['HTTP throughput'] = 'skipped: wrk is not installed (Debian package wrk)';
    } else {
      writePage(sb.upper(addressed));
      run([...vzctl, 'start', addressed], { env });
      const hostWww = join(sb.root, 'host-www');
      mkdirSync(hostWww);
      writeFileSync(join(hostWww, 'index.html'), PAGE);
      hostHttpd = await hostHttpds(netns, [HOST_IP], hostWww);
      log(`wrk ${seconds}s against the VE's httpd and the host's`);
      const ve = wrk(netns, 'http://198.18.1.1/index.html', { seconds });
      const host = wrk(netns, `http://${HOST_IP}/index.html`, { seconds });
      facts['HTTP 4.2 KB page, busybox httpd in a VE over venet (requests/min, wrk -t2 -c16)'] = ve?.perMinute ?? 'failed';
      facts['HTTP 4.2 KB page, the same httpd on the host (requests/min)'] = host?.perMinute ?? 'failed';
      if (ve && host) facts['venet overhead vs host (%)'] = Math.round((1 - ve.rps / host.rps) * 1000) / 10;
    }
  } finally {
    hostHttpd?.stop();
    await sb.teardown(log);
    netns.remove();
  }
  return { name: 'net', results, facts };
}

export function renderNet(r) {
  return `${timingTable(r.results)}\n\n${factLines(r.facts)}`;
}
