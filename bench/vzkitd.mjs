// vzkitd: what its API costs beside the same vzctl commands, bulk start and stop of N
// busybox VEs beside crun's N one-by-one starts, and the CPU of a metrics scrape at N
// running VEs (real ones) and at 1000 (recorded cgroup trees: the scrape's own code path
// on copies of a real VE's cgroup files, see scrapeRecorded below).
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pool, run, summarize, table, timed } from './lib/measure.mjs';
import { repo, sandbox } from './lib/sandbox.mjs';
import { crunBundle, crunCommand, crunSerialStarts } from './lib/crun.mjs';

const q = (s) => `'${s.replace(/'/g, `'\\''`)}'`;
const round = (x) => Math.round(x * 10) / 10;

/** An HTTP call on a unix socket from this process: resolves with { status, body, ms }. */
export function call(socketPath, method, path, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const t0 = process.hrtime.bigint();
    const req = request({ socketPath, method, path, headers: data ? { 'content-type': 'application/json' } : {} }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode, body: text, ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

export async function ok(socketPath, method, path, body) {
  const r = await call(socketPath, method, path, body);
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${r.body.slice(0, 300)}`);
  return r;
}

/**
 * vzkitd in the sandbox's root, its reaper in the spawned process's place; `wrap` puts
 * its argv inside something (the bench's network namespace).
 */
export async function startDaemon(env, log, wrap = (argv) => argv) {
  const out = openSync(join(env.VZKIT_ROOT, 'vzkitd.log'), 'a');
  const argv = wrap([process.execPath, join(repo, 'packages/vzkitd/dist/vzkitd.js'), '--sample-interval', '10']);
  const child = spawn(argv[0], argv.slice(1), { env, stdio: ['ignore', out, out] });
  closeSync(out);
  const socket = join(env.VZKIT_ROOT, 'run/vzkit/vzkitd.sock');
  for (let i = 0; i < 400; i++) {
    const r = await call(socket, 'GET', '/v1').catch(() => undefined);
    if (r?.status === 200) return { child, socket, info: JSON.parse(r.body) };
    if (child.exitCode !== null) break;
    await sleep(50);
  }
  log(readFileSync(join(env.VZKIT_ROOT, 'vzkitd.log'), 'utf8'));
  throw new Error('vzkitd did not answer');
}

export async function stopDaemon(d) {
  if (!d || d.child.exitCode !== null) return;
  const done = new Promise((r) => d.child.once('exit', r));
  d.child.kill('SIGTERM');
  await Promise.race([done, sleep(60_000)]);
  if (d.child.exitCode === null) d.child.kill('SIGKILL');
}

/** The daemon's own measure of the previous scrape's CPU (vzkit_scrape_cpu_seconds), in ms. */
export async function scrapeCpu(socket, scrapes) {
  const cpu = [];
  const wall = [];
  let bytes = 0;
  let samples = 0;
  for (let i = 0; i < scrapes + 2; i++) {
    const r = await ok(socket, 'GET', '/metrics');
    const prev = Number(/^vzkit_scrape_cpu_seconds (\S+)$/m.exec(r.body)?.[1]);
    if (i >= 2) {
      cpu.push(prev * 1000);
      wall.push(r.ms);
    }
    bytes = r.body.length;
    samples = r.body.split('\n').filter((l) => l && !l.startsWith('#')).length;
  }
  return { cpuMs: summarize(cpu), wallMs: summarize(wall), bytes, samples };
}

export async function benchVzkitd({ runs = 20, bulk = 100, log = console.log } = {}) {
  const sb = sandbox('vzkitd');
  const { env, vzctl, root } = sb;
  const local = { ...env, VZKIT_NO_DAEMON: '1' };
  const rows = [];
  const add = (id, tool, what, command, s) => rows.push({ id, tool, what, command, ...summarize(s) });
  const bulkRows = [];
  const crun = crunCommand(root);
  const crunIds = [];
  let d;
  let scrape;
  try {
    // --- one VE: each operation through vzctl (no daemon) and through the API ---
    const [a, b] = [sb.base, sb.base + 1].map(String);
    for (const id of [a, b]) {
      sb.made.add(id);
      run([...vzctl, 'create', id, '--ostemplate', 'busybox'], { env: local });
    }
    d = await startDaemon(env, log);
    const api = (m, p, body) => ok(d.socket, m, p, body);
    const curl = (m, p, body) => ['curl', '-sf', '--unix-socket', d.socket, '-X', m, ...(body ? ['-d', JSON.stringify(body)] : []), `http://vzkitd${p}`];
    const t = {};
    const push = (k, v) => (t[k] ??= []).push(v);
    log(`vzctl beside the API, x${runs} interleaved`);
    for (let i = 0; i < runs + 2; i++) {
      const keep = i >= 2;
      const m = (k, v) => keep && push(k, v);
      m('vzctl.start', timed([...vzctl, 'start', a], { env: local }));
      m('vzctl.start.forwarded', timed([...vzctl, 'start', b], { env }));
      m('vzctl.status', timed([...vzctl, 'status', a], { env: local }));
      m('api.status', (await api('GET', `/v1/ves/${a}`)).ms);
      m('curl.status', timed(curl('GET', `/v1/ves/${a}`)));
      m('vzctl.exec', timed([...vzctl, 'exec', a, 'true'], { env: local }));
      m('api.exec', (await api('POST', `/v1/ves/${a}/exec`, { command: ['true'] })).ms);
      m('vzctl.set', timed([...vzctl, 'set', a, '--cpuunits', String(1000 + i)], { env: local }));
      m('api.set', (await api('PATCH', `/v1/ves/${a}`, { cpuunits: 2000 + i })).ms);
      m('vzctl.list', timed([process.execPath, vzctl[1].replace(/vzctl\.js$/, 'vzlist.js'), '-a'], { env: local }));
      m('api.list', (await api('GET', '/v1/ves')).ms);
      m('vzctl.stop', timed([...vzctl, 'stop', a, '--fast'], { env: local }));
      m('vzctl.stop.b', timed([...vzctl, 'stop', b, '--fast'], { env: local }));
      m('api.start', (await api('POST', `/v1/ves/${a}/start?wait=1`)).ms);
      m('api.stop', (await api('POST', `/v1/ves/${a}/stop?wait=1`, { fast: true })).ms);
      m('curl.start', timed(curl('POST', `/v1/ves/${a}/start?wait=1`)));
      m('curl.stop', timed(curl('POST', `/v1/ves/${a}/stop?wait=1`, { fast: true })));
    }
    const node = [];
    for (let i = 0; i < runs; i++) node.push(timed([process.execPath, '-e', '0']));
    add('node', 'node', 'node -e 0 (Node start-up)', 'node -e 0', node);
    const say = {
      'vzctl.start': ['vzkit', 'vzctl start (no vzkitd: VZKIT_NO_DAEMON=1)', 'vzctl start CTID'],
      'vzctl.start.forwarded': ['vzkit', 'vzctl start forwarded to vzkitd (same output)', 'vzctl start CTID (vzkitd running)'],
      'api.start': ['vzkitd', 'POST /v1/ves/CTID/start?wait=1 (in-process client)', 'POST /v1/ves/CTID/start?wait=1'],
      'curl.start': ['vzkitd', 'the same with curl --unix-socket', 'curl --unix-socket S -X POST http://vzkitd/v1/ves/CTID/start?wait=1'],
      'vzctl.stop': ['vzkit', 'vzctl stop --fast', 'vzctl stop CTID --fast'],
      'api.stop': ['vzkitd', 'POST /v1/ves/CTID/stop?wait=1 {"fast":true}', 'POST /v1/ves/CTID/stop?wait=1'],
      'curl.stop': ['vzkitd', 'the same with curl', 'curl --unix-socket S -X POST -d \'{"fast":true}\' .../stop?wait=1'],
      'vzctl.status': ['vzkit', 'vzctl status', 'vzctl status CTID'],
      'api.status': ['vzkitd', 'GET /v1/ves/CTID (status, vzlist row, config)', 'GET /v1/ves/CTID'],
      'curl.status': ['vzkitd', 'the same with curl', 'curl --unix-socket S http://vzkitd/v1/ves/CTID'],
      'vzctl.exec': ['vzkit', 'vzctl exec true', 'vzctl exec CTID true'],
      'api.exec': ['vzkitd', 'POST /v1/ves/CTID/exec ["true"]', 'POST /v1/ves/CTID/exec'],
      'vzctl.set': ['vzkit', 'vzctl set --cpuunits (live)', 'vzctl set CTID --cpuunits N'],
      'api.set': ['vzkitd', 'PATCH /v1/ves/CTID {"cpuunits": N}', 'PATCH /v1/ves/CTID'],
      'vzctl.list': ['vzkit', 'vzlist -a', 'vzlist -a'],
      'api.list': ['vzkitd', 'GET /v1/ves (vzlist -a -j)', 'GET /v1/ves'],
    };
    for (const [k, [tool, what, command]] of Object.entries(say)) add(k, tool, what, command, t[k]);

    // --- bulk: N VEs started and stopped in one command, beside crun's N serial starts ---
    const ids = Array.from({ length: bulk }, (_, i) => String(sb.base + 10 + i));
    log(`create ${bulk} busybox VEs`);
    await pool(ids, 2, async (id) => {
      sb.made.add(id);
      run([...vzctl, 'create', id, '--ostemplate', 'busybox'], { env: local });
    });
    const list = `${ids[0]}-${ids[ids.length - 1]}`;
    const bulkRun = (what, tool, command, argv, e) => {
      const ms = timed(argv, { env: e, timeout: 20 * 60_000 });
      bulkRows.push({ what, tool, command, seconds: Math.round(ms / 100) / 10, perVeMs: round(ms / bulk) });
      log(`${what}: ${round(ms / 1000)} s`);
    };
    for (const p of [1, 4, 8]) {
      bulkRun(`vzctl start LIST --parallel ${p} (no vzkitd)`, 'vzkit', `vzctl start ${list} --parallel ${p}`, [...vzctl, 'start', list, '--parallel', String(p)], local);
      bulkRun(`vzctl stop LIST --fast --parallel ${p} (no vzkitd)`, 'vzkit', `vzctl stop ${list} --fast --parallel ${p}`, [...vzctl, 'stop', list, '--fast', '--parallel', String(p)], local);
    }
    bulkRun('vzctl start LIST forwarded to vzkitd (parallel 4)', 'vzkitd', `vzctl start ${list} --parallel 4`, [...vzctl, 'start', list, '--parallel', '4'], env);
    // The scrape at N real VEs, while they run.
    log(`scrape /metrics at ${bulk} running VEs`);
    scrape = { real: { ves: bulk, ...(await scrapeCpu(d.socket, runs)) } };
    bulkRun('vzctl stop LIST --fast, vzkitd running (stop runs in vzctl itself; parallel 4)', 'vzkit', `vzctl stop ${list} --fast --parallel 4`, [...vzctl, 'stop', list, '--fast', '--parallel', '4'], env);
    {
      const t0 = process.hrtime.bigint();
      await api('POST', '/v1/bulk/start?wait=1', { ctids: list, parallel: 4 });
      const s = Number(process.hrtime.bigint() - t0) / 1e6;
      bulkRows.push({ what: 'POST /v1/bulk/start (parallel 4)', tool: 'vzkitd', command: `POST /v1/bulk/start {"ctids":"${list}","parallel":4}`, seconds: Math.round(s / 100) / 10, perVeMs: round(s / bulk) });
      const t1 = process.hrtime.bigint();
      await api('POST', '/v1/bulk/stop?wait=1', { ctids: list, parallel: 4, fast: true });
      const st = Number(process.hrtime.bigint() - t1) / 1e6;
      bulkRows.push({ what: 'POST /v1/bulk/stop --fast (parallel 4)', tool: 'vzkitd', command: `POST /v1/bulk/stop {"ctids":"${list}","parallel":4,"fast":true}`, seconds: Math.round(st / 100) / 10, perVeMs: round(st / bulk) });
    }
    {
      // N one-by-one vzctl starts: what a loop over vzctl does today.
      const t0 = process.hrtime.bigint();
      for (const id of ids) run([...vzctl, 'start', id], { env: local });
      const s = Number(process.hrtime.bigint() - t0) / 1e6;
      bulkRows.push({ what: `${bulk} vzctl start, one after another (no vzkitd)`, tool: 'vzkit', command: 'for id in LIST; do vzctl start $id; done', seconds: Math.round(s / 100) / 10, perVeMs: round(s / bulk) });
      run([...vzctl, 'stop', list, '--fast', '--parallel', '4'], { env: local, allowFail: true });
    }
    if (existsSync('/usr/bin/crun')) {
      const bundle = crunBundle(root);
      const s = crunSerialStarts(crun, { bundle, n: bulk, idPrefix: `vzkit-bench-${process.pid}`, log: join(root, 'crun.log'), ids: crunIds });
      bulkRows.push({ what: `${bulk} crun run -d, one after another`, tool: 'crun', command: 'for i in 1..N; do crun run -d --bundle B ID$i; done', seconds: Math.round(s / 100) / 10, perVeMs: round(s / bulk) });
      const t1 = process.hrtime.bigint();
      for (const id of crunIds.splice(0)) run(['sh', '-c', `${crun(['kill', id, 'KILL']).map(q).join(' ')} && ${crun(['delete', '-f', id]).map(q).join(' ')}`]);
      const st = Number(process.hrtime.bigint() - t1) / 1e6;
      bulkRows.push({ what: `${bulk} crun kill + delete, one after another`, tool: 'crun', command: 'crun kill ID KILL && crun delete -f ID', seconds: Math.round(st / 100) / 10, perVeMs: round(st / bulk) });
    }
  } finally {
    for (const id of crunIds) run(crun(['delete', '-f', id]), { allowFail: true, stdio: 'ignore' });
    await stopDaemon(d);
    await sb.teardown(log);
  }
  log('scrape on 1000 recorded cgroup trees');
  scrape.recorded = await scrapeRecorded({ ves: 1000, runs, log });
  const crunStart = bulkRows.find((r) => r.tool === 'crun' && r.what.includes('run -d'));
  const best = bulkRows.filter((r) => r.what.startsWith('vzctl start LIST') || r.what.startsWith('POST /v1/bulk/start')).sort((x, y) => x.seconds - y.seconds)[0];
  return {
    name: 'vzkitd',
    rows,
    bulk: { ves: bulk, rows: bulkRows },
    scrape,
    target: {
      bulk: crunStart && best ? { rule: `${bulk} VEs started in one command vs crun's ${bulk} serial starts (first step: at most 2x)`, vzkitS: best.seconds, crunS: crunStart.seconds, ratio: Math.round((best.seconds / crunStart.seconds) * 10) / 10 } : null,
      scrape: { rule: 'a scrape of 1000 running VEs costs under 200 ms of CPU', recordedMs: scrape.recorded?.warmCpuMs?.median ?? null, met: (scrape.recorded?.warmCpuMs?.median ?? Infinity) < 200 },
    },
  };
}

/**
 * The scrape's code path over 1000 VEs without 1000 VEs: one real busybox VE's cgroup
 * files (every v1 controller vzkitd reads) copied to a tmpfs tree once per VE, a cgroup
 * manager pointed at that tree, 1000 configs and state files made from the real VE's,
 * and vzkitd's Inventory and Metrics (the same objects a scrape uses) over them. What
 * differs from 1000 real VEs: files on tmpfs cost less to read than cgroupfs files the
 * kernel generates (measured beside it at the real N above: compare per VE), no process
 * of them exists, and their network links do not (no traffic samples).
 */
export async function scrapeRecorded({ ves = 1000, runs = 10, log = console.log, inspect } = {}) {
  const { CgroupV1Manager, LinuxHost } = await import(join(repo, 'packages/linux/dist/index.js'));
  const { createDefaultRuntime } = await import(join(repo, 'packages/cli/dist/index.js'));
  const { Inventory, Metrics } = await import(join(repo, 'packages/vzkitd/dist/index.js'));
  const { resolvePaths } = await import(join(repo, 'packages/core/dist/index.js'));
  const sb = sandbox('scrape');
  const { env, vzctl } = sb;
  const work = mkdtempSync(join(tmpdir(), 'vzkit-bench-cgtree-'));
  const synth = mkdtempSync(join(tmpdir(), 'vzkit-bench-synth-'));
  try {
    const id = String(sb.base);
    sb.made.add(id);
    run([...vzctl, 'create', id, '--ostemplate', 'busybox'], { env: { ...env, VZKIT_NO_DAEMON: '1' } });
    run([...vzctl, 'start', id], { env: { ...env, VZKIT_NO_DAEMON: '1' } });
    const state = JSON.parse(readFileSync(join(sb.root, 'run/vzkit', id, 'state.json'), 'utf8'));
    const conf = readFileSync(join(sb.root, 'etc/vzkit/conf', `${id}.conf`), 'utf8');
    // The VE's group in each v1 hierarchy the stats read, recorded.
    const cgRoot = join(work, 'cgroup');
    const self = readFileSync('/proc/self/cgroup', 'utf8').split('\n').filter(Boolean);
    const mountinfo = [];
    const procCgroup = [];
    let n = 30;
    for (const ctrl of ['pids', 'memory', 'cpu', 'cpuacct']) {
      const line = self.find((l) => l.split(':')[1].split(',').includes(ctrl));
      if (!line) continue;
      const own = line.split(':')[2];
      const src = join('/sys/fs/cgroup', ctrl, own, sb.parentName, id);
      const files = readdirSync(src).filter((f) => !f.startsWith('cgroup.') && f !== 'tasks' && f !== 'notify_on_release');
      const recorded = Object.fromEntries(files.map((f) => { try { return [f, readFileSync(join(src, f), 'utf8')]; } catch { return [f, null]; } }).filter(([, v]) => v !== null));
      for (let i = 0; i < ves; i++) {
        const dir = join(cgRoot, ctrl, 'bench', String(1000000 + i));
        mkdirSync(dir, { recursive: true });
        for (const [f, text] of Object.entries(recorded)) writeFileSync(join(dir, f), text);
        writeFileSync(join(dir, 'cgroup.procs'), '');
      }
      mountinfo.push(`${n} 25 0:${n} / ${join(cgRoot, ctrl)} rw,relatime - cgroup cgroup rw,${ctrl}`);
      procCgroup.push(`${n}:${ctrl}:/`);
      n++;
    }
    writeFileSync(join(work, 'mountinfo'), `${mountinfo.join('\n')}\n`);
    writeFileSync(join(work, 'self-cgroup'), `${procCgroup.join('\n')}\n`);
    const paths = resolvePaths(synth);
    mkdirSync(paths.confDir, { recursive: true });
    for (let i = 0; i < ves; i++) {
      const ctid = 1000000 + i;
      writeFileSync(join(paths.confDir, `${ctid}.conf`), conf.replaceAll(id, String(ctid)));
      mkdirSync(join(paths.run, String(ctid)), { recursive: true });
      const plugins = JSON.parse(JSON.stringify(state.plugins).replaceAll(id, String(ctid)));
      writeFileSync(join(paths.run, String(ctid), 'state.json'), JSON.stringify({ ...state, ctid, cgroup: `bench/${ctid}`, pid: process.pid, plugins }));
    }
    const cgroups = new CgroupV1Manager({ root: cgRoot, mountinfo: join(work, 'mountinfo'), procSelfCgroup: join(work, 'self-cgroup') });
    const host = new LinuxHost(cgroups);
    const quiet = { info() {}, warn() {}, debug() {} };
    const rt = await createDefaultRuntime({ root: synth, host, log: quiet }, { ...env, VZKIT_ROOT: synth });
    const metrics = new Metrics(rt, new Inventory(rt, paths));
    const cpuOf = async () => {
      const c0 = process.cpuUsage();
      const text = await metrics.scrape();
      const c = process.cpuUsage(c0);
      return { ms: (c.user + c.system) / 1000, text };
    };
    const cold = await cpuOf();
    if (inspect) await inspect({ metrics, rt, cgroups });
    const warm = [];
    let text = cold.text;
    for (let i = 0; i < runs; i++) {
      const r = await cpuOf();
      warm.push(r.ms);
      text = r.text;
    }
    const samples = text.split('\n').filter((l) => l && !l.startsWith('#')).length;
    log(`1000 recorded VEs: cold ${round(cold.ms)} ms, warm median ${summarize(warm).median} ms of CPU, ${samples} samples`);
    return { ves, coldCpuMs: round(cold.ms), warmCpuMs: summarize(warm), samples, bytes: text.length, what: 'recorded cgroup trees on tmpfs (see bench/vzkitd.mjs)' };
  } finally {
    await sb.teardown(log);
    rmSync(work, { recursive: true, force: true });
    rmSync(synth, { recursive: true, force: true });
  }
}

/** The section of the markdown report. */
export function renderVzkitd(r) {
  const lines = ['operations, vzctl beside the API (medians of interleaved runs):'];
  lines.push(table(r.rows.map((x) => ({ what: x.what, tool: x.tool, runs: x.runs, 'median ms': x.median, 'p90 ms': x.p90 })), ['what', 'tool', 'runs', 'median ms', 'p90 ms']));
  lines.push('', `bulk: ${r.bulk.ves} busybox VEs:`);
  lines.push(table(r.bulk.rows.map((x) => ({ what: x.what, tool: x.tool, seconds: x.seconds, 'ms per VE': x.perVeMs })), ['what', 'tool', 'seconds', 'ms per VE']));
  if (r.target?.bulk) lines.push(`${r.target.bulk.rule}: ${r.target.bulk.vzkitS} s against ${r.target.bulk.crunS} s (x${r.target.bulk.ratio})`);
  const s = r.scrape ?? {};
  lines.push('', 'metrics scrape (CPU of vzkitd per scrape):');
  if (s.real) lines.push(`  ${s.real.ves} running VEs: median ${s.real.cpuMs.median} ms CPU (p90 ${s.real.cpuMs.p90}), ${s.real.wallMs.median} ms wall, ${s.real.samples} samples, ${s.real.bytes} bytes`);
  if (s.recorded) lines.push(`  ${s.recorded.ves} VEs on ${s.recorded.what}: median ${s.recorded.warmCpuMs.median} ms CPU (p90 ${s.recorded.warmCpuMs.p90}); the first scrape, which parses every config: ${s.recorded.coldCpuMs} ms; ${s.recorded.samples} samples`);
  if (r.target?.scrape) lines.push(`  ${r.target.scrape.rule}: ${r.target.scrape.met ? 'met' : 'not met'}`);
  return lines.join('\n');
}
