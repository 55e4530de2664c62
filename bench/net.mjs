// Network benchmark: what a venet address costs a VE's start, and HTTP throughput over
// loopback-like paths: wrk against a VE's busybox httpd on its venet address vs the same
// httpd on the host. Everything runs in a network namespace made here (the "host"),
// with addresses from 198.18.0.0/15, so nothing reaches the machine's own network.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { timed, run, startSamples, summarize, table } from './lib/measure.mjs';
import { removeCgroupParent } from './lib/cgroup-parent.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = dirname(here);
const HOST_IP = '198.19.255.1';
/** The 4.2 KB static page of the original announcement. */
const PAGE = `<html><body>${'x'.repeat(4200 - 27)}</body></html>\n`;

function wrk(ns, url, seconds) {
  const r = run(['nsenter', `--net=/run/netns/${ns}`, '--', 'wrk', '-t', '2', '-c', '16', '-d', `${seconds}s`, url], { allowFail: true });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1]);
  const errors = /Non-2xx|Socket errors/.test(r.stdout);
  return Number.isFinite(rps) ? { rps: Math.round(rps), perMinute: Math.round(rps * 60), errors } : null;
}

export async function benchNet({ runs = 30, seconds = 10, log = console.log } = {}) {
  const root = mkdtempSync(join(tmpdir(), 'vzkit-bench-net-'));
  const ns = `vzkit-bench-${process.pid}`;
  const parentName = `vzkit-bench-net-${process.pid}`;
  const env = { ...process.env, VZKIT_ROOT: root, VZKIT_CGROUP_PARENT: `@self/${parentName}` };
  const inNs = (argv) => ['nsenter', `--net=/run/netns/${ns}`, '--', ...argv];
  const bin = (tool) => inNs([process.execPath, join(repo, `packages/cli/dist/${tool}.js`)]);
  const base = 1_900_000 + (process.pid % 90_000) * 2 + 3000;
  const octet = (process.pid % 250) + 1;
  const results = {};
  const facts = {};
  const made = [];
  let hostHttpd;
  run(['ip', 'netns', 'add', ns]);
  try {
    run(inNs(['ip', 'link', 'set', 'lo', 'up']));
    run(inNs(['ip', 'addr', 'add', `${HOST_IP}/32`, 'dev', 'lo']));
    run(inNs(['sysctl', '-qw', 'net.ipv4.ip_forward=1']));
    const plain = String(base), addressed = String(base + 1);
    run([...bin('vzctl'), 'create', plain, '--ostemplate', 'busybox'], { env });
    made.push(plain);
    run([...bin('vzctl'), 'create', addressed, '--ostemplate', 'busybox', '--ipadd', `198.18.${octet}.1`], { env });
    made.push(addressed);
    for (const [what, id] of [['vzctl start, no network address', plain], ['vzctl start, one venet address', addressed]]) {
      log(`${what} x${runs}`);
      results[what] = startSamples(bin('vzctl'), id, env, runs);
    }
    log('set --ipadd / --ipdel on a running VE');
    run([...bin('vzctl'), 'start', plain], { env });
    const add = [], del = [];
    for (let i = 0; i < Math.max(5, Math.floor(runs / 2)); i++) {
      add.push(timed([...bin('vzctl'), 'set', plain, '--ipadd', `198.18.${octet}.9`], { env }));
      del.push(timed([...bin('vzctl'), 'set', plain, '--ipdel', `198.18.${octet}.9`], { env }));
    }
    results['vzctl set --ipadd (running VE)'] = summarize(add);
    results['vzctl set --ipdel (running VE)'] = summarize(del);
    run([...bin('vzctl'), 'stop', plain, '--fast'], { env });

    if (!existsSync('/usr/bin/wrk')) {
      facts['HTTP throughput'] = 'skipped: wrk is not installed (Debian package wrk)';
    } else {
      const www = join(root, 'var/lib/vzkit/private', addressed, 'fs/var/www');
      mkdirSync(www, { recursive: true });
      writeFileSync(join(www, 'index.html'), PAGE);
      run([...bin('vzctl'), 'start', addressed], { env });
      const hostWww = join(root, 'host-www');
      mkdirSync(hostWww);
      writeFileSync(join(hostWww, 'index.html'), PAGE);
      hostHttpd = spawn('nsenter', [`--net=/run/netns/${ns}`, '--', '/bin/busybox', 'httpd', '-f', '-p', `${HOST_IP}:8080`, '-h', hostWww], { stdio: 'ignore' });
      await new Promise((r) => setTimeout(r, 500));
      log(`wrk ${seconds}s against the VE's httpd and the host's`);
      const ve = wrk(ns, `http://198.18.${octet}.1/index.html`, seconds);
      const host = wrk(ns, `http://${HOST_IP}:8080/index.html`, seconds);
      facts['HTTP 4.2 KB page, busybox httpd in a VE over venet (requests/min, wrk -t2 -c16)'] = ve?.perMinute ?? 'failed';
      facts['HTTP 4.2 KB page, the same httpd on the host (requests/min)'] = host?.perMinute ?? 'failed';
      if (ve && host) facts['venet overhead vs host (%)'] = Math.round((1 - ve.rps / host.rps) * 1000) / 10;
    }
  } finally {
    hostHttpd?.kill('SIGKILL');
    for (const id of made) {
      run([...bin('vzctl'), 'stop', id, '--fast'], { env, allowFail: true });
      run([...bin('vzctl'), 'destroy', id], { env, allowFail: true });
    }
    run(['ip', 'netns', 'del', ns], { allowFail: true });
    const left = removeCgroupParent(parentName);
    if (left.length) log(`warning: cgroups left: ${left.join(', ')}`);
    rmSync(root, { recursive: true, force: true });
  }
  return { name: 'net', results, facts };
}

export function renderNet(r) {
  const rows = Object.entries(r.results).map(([what, s]) => ({ what, runs: s.runs, 'median ms': s.median, 'p90 ms': s.p90, 'min ms': s.min, 'max ms': s.max }));
  return table(rows, ['what', 'runs', 'median ms', 'p90 ms', 'min ms', 'max ms']) + '\n\n' + Object.entries(r.facts).map(([k, v]) => `${k}: ${v}`).join('\n');
}
