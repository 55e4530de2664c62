// Latency of every vzctl operation on a busybox VE — create, start, exec, stop, destroy
// and `set` of memory, CPU and disk on a running VE — median and p90 over N runs, beside
// the peers doing the equivalent in the same run: crun (run -d, exec, kill + delete),
// lxc-execute of /bin/true, a bare unshare + chroot, and `node -e 0` (the floor every
// vzctl pays before its own work).
import { cpSync, existsSync, mkdirSync, openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { timed, run, summarize, table } from './lib/measure.mjs';
import { crunCommand, writeCrunSpec } from './lib/crun.mjs';
import { removeLxcPivot, selfCgroupDirs } from './lib/cgroup-parent.mjs';
import { memoryParentDir } from './lib/memory.mjs';
import { sandbox } from './lib/sandbox.mjs';

const q = (s) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs `fn` warmup + runs times and keeps the last `runs` wall times. */
function samples(runs, fn, warmup = 2) {
  const s = [];
  for (let i = 0; i < runs + warmup; i++) {
    const t = fn(i);
    if (i >= warmup) s.push(t);
  }
  return s;
}

export async function benchLatency({ runs = 30, haltRuns = 10, log = console.log } = {}) {
  const sb = sandbox('lat');
  const { env, vzctl, root } = sb;
  const [lone, cycle, limited] = [sb.base, sb.base + 1, sb.base + 2].map(String);
  const rows = [];
  const live = {};
  const peerErrors = {};
  const add = (id, tool, what, command, s) => rows.push({ id, tool, what, command, ...summarize(s) });
  const crunId = `vzkit-bench-${process.pid}`;
  const crun = crunCommand(root);
  let lxcPath;
  try {
    log(`node -e 0 x${runs}`);
    add('node', 'node', 'node -e 0 (Node start-up, the floor of every vzctl)', 'node -e 0', samples(runs, () => timed([process.execPath, '-e', '0'])));

    sb.made.add(lone);
    add('vzctl.create.first', 'vzkit', 'vzctl create (busybox; first: builds the template)', 'vzctl create CTID --ostemplate busybox',
      [timed([...vzctl, 'create', lone, '--ostemplate', 'busybox'], { env })]);

    log(`vzctl create, start, exec, stop --fast, destroy x${runs}`);
    const t = { create: [], start: [], exec: [], stop: [], destroy: [] };
    samples(runs, (i) => {
      sb.made.add(cycle);
      const c = timed([...vzctl, 'create', cycle, '--ostemplate', 'busybox'], { env });
      const s = timed([...vzctl, 'start', cycle], { env });
      const e = timed([...vzctl, 'exec', cycle, 'true'], { env });
      const f = timed([...vzctl, 'stop', cycle, '--fast'], { env });
      const d = timed([...vzctl, 'destroy', cycle], { env });
      sb.made.delete(cycle);
      if (i >= 2) [['create', c], ['start', s], ['exec', e], ['stop', f], ['destroy', d]].forEach(([k, v]) => t[k].push(v));
      return 0;
    });
    add('vzctl.create', 'vzkit', 'vzctl create (busybox, template there)', 'vzctl create CTID --ostemplate busybox', t.create);
    add('vzctl.start', 'vzkit', 'vzctl start', 'vzctl start CTID', t.start);
    add('vzctl.exec', 'vzkit', 'vzctl exec true', 'vzctl exec CTID true', t.exec);
    add('vzctl.stop.fast', 'vzkit', 'vzctl stop --fast', 'vzctl stop CTID --fast', t.stop);
    add('vzctl.destroy', 'vzkit', 'vzctl destroy', 'vzctl destroy CTID', t.destroy);

    log(`vzctl stop (the guest's own halt) x${haltRuns}`);
    add('vzctl.stop.halt', 'vzkit', 'vzctl stop (guest halt: busybox init waits 1 s after TERM and 1 s after KILL)', 'vzctl stop CTID',
      samples(haltRuns, () => {
        run([...vzctl, 'start', lone], { env });
        return timed([...vzctl, 'stop', lone], { env });
      }, 0));

    // set on a running VE: memory, CPU, disk (the quota plugin's image: made with the VE).
    sb.made.add(limited);
    run([...vzctl, 'create', limited, '--ostemplate', 'busybox', '--diskspace', '1G'], { env });
    run([...vzctl, 'start', limited], { env });
    const mode = JSON.parse(readFileSync(join(root, 'var/lib/vzkit/private', limited, 'quota.json'), 'utf8')).mode;
    // An image in `room` mode takes any limit up to its room at once; an `exact` one only grows online.
    const disk = (i) => (mode === 'room' ? (i % 2 ? '768M' : '1G') : `${1024 + 16 * (i + 1)}M`);
    const ram = (i) => (i % 2 ? 256 : 320);
    const cpu = (i) => (i % 2 ? 25 : 50);
    log(`vzctl set --ram / --cpulimit / --diskspace on a running VE x${runs}`);
    const sets = { ram: [], cpu: [], disk: [] };
    samples(runs, (i) => {
      const r = timed([...vzctl, 'set', limited, '--ram', `${ram(i)}M`], { env });
      const c = timed([...vzctl, 'set', limited, '--cpulimit', String(cpu(i))], { env });
      const d = timed([...vzctl, 'set', limited, '--diskspace', disk(i)], { env });
      if (i >= 2) { sets.ram.push(r); sets.cpu.push(c); sets.disk.push(d); }
      return 0;
    });
    add('vzctl.set.ram', 'vzkit', 'vzctl set --ram (running VE)', 'vzctl set CTID --ram 256M', sets.ram);
    add('vzctl.set.cpulimit', 'vzkit', 'vzctl set --cpulimit (running VE)', 'vzctl set CTID --cpulimit 25', sets.cpu);
    add('vzctl.set.diskspace', 'vzkit', `vzctl set --diskspace (running VE, image in ${mode} mode)`, 'vzctl set CTID --diskspace 1G', sets.disk);
    live.ram = checkRam(sb.parentName, limited, ram(runs + 1));
    live.cpulimit = checkCpu(sb.parentName, limited, cpu(runs + 1));
    live.diskspace = checkDisk(sb, limited, disk(runs + 1));
    run([...vzctl, 'stop', limited, '--fast'], { env });

    // The peers get a copy of the same busybox tree. A peer that fails here is reported,
    // and the figures of the others (and vzkit's) are kept.
    const bundle = join(root, 'peer-bundle');
    const rootfs = join(bundle, 'rootfs');
    cpSync(join(root, 'var/lib/vzkit/template/busybox'), rootfs, { recursive: true, verbatimSymlinks: true });
    const peer = (name, fn) => {
      try {
        fn();
      } catch (e) {
        log(`${name} failed: ${e.message}`);
        peerErrors[name] = String(e.message).slice(0, 300);
      }
    };
    if (existsSync('/usr/bin/crun')) peer('crun', () => {
      writeCrunSpec(bundle);
      const cs = [], ce = [], ck = [];
      log(`crun run -d, exec, kill + delete x${runs}`);
      // The detached container inherits crun's stdio: give it a file, not our pipes, or
      // waiting for crun would wait for the container.
      const out = openSync(join(root, 'crun.log'), 'a');
      try {
        samples(runs, (i) => {
          const a = timed(crun(['run', '-d', '--bundle', bundle, crunId]), { stdio: ['ignore', out, out] });
          const e = timed(crun(['exec', crunId, '/bin/true']), { stdio: ['ignore', out, out] });
          const b = timed(['sh', '-c', `${crun(['kill', crunId, 'KILL']).map(q).join(' ')} && ${crun(['delete', '-f', crunId]).map(q).join(' ')}`]);
          if (i >= 2) { cs.push(a); ce.push(e); ck.push(b); }
          return 0;
        });
      } finally {
        closeSync(out);
      }
      add('crun.run', 'crun', 'crun run -d (start a detached sleep; no cgroups: cgroup manager off)', 'crun run -d --bundle B ID', cs);
      add('crun.exec', 'crun', 'crun exec /bin/true', 'crun exec ID /bin/true', ce);
      add('crun.stop', 'crun', 'crun kill KILL + delete -f', 'crun kill ID KILL && crun delete -f ID', ck);
    });
    if (existsSync('/usr/bin/lxc-execute')) peer('lxc-execute', () => {
      lxcPath = join(root, 'lxc');
      mkdirSync(lxcPath);
      const conf = join(root, 'lxc.conf');
      // Relative cgroups: lxc's cgroups (and the lxc.pivot it leaves) go below our own.
      writeFileSync(conf, `lxc.rootfs.path = dir:${rootfs}\nlxc.uts.name = bench\nlxc.net.0.type = empty\nlxc.cgroup.relative = 1\n`);
      log(`lxc-execute /bin/true x${runs}`);
      add('lxc.execute', 'lxc', 'lxc-execute -- /bin/true (create, start, exit, destroy)', 'lxc-execute -n NAME -f CONF -- /bin/true',
        samples(runs, () => timed(['lxc-execute', '-n', `vzkit-bench-${process.pid}`, '-f', conf, '-P', lxcPath, '--', '/bin/true'])));
    });
    peer('unshare', () => {
      log(`unshare x${runs}`);
      add('unshare', 'unshare', 'unshare + chroot /bin/true (the syscall floor)', 'unshare -fpmiun --mount-proc chroot ROOTFS /bin/true',
        samples(runs, () => timed(['unshare', '-fpmiun', '--mount-proc', 'chroot', rootfs, '/bin/true'])));
    });
  } finally {
    run(crun(['delete', '-f', crunId]), { allowFail: true, stdio: 'ignore' });
    if (lxcPath) {
      const left = removeLxcPivot();
      if (left.length) log(`warning: lxc cgroups left: ${left.join(', ')}`);
    }
    await sb.teardown(log);
  }
  const median = (id) => rows.find((r) => r.id === id)?.median;
  const [node, crunStart, start] = [median('node'), median('crun.run'), median('vzctl.start')];
  return {
    name: 'latency',
    rows,
    live,
    ...(Object.keys(peerErrors).length ? { peerErrors } : {}),
    target: crunStart === undefined ? null : {
      rule: 'vzctl start <= node -e 0 + 1.5 x crun run -d (medians, same run)',
      limitMs: Math.round((node + 1.5 * crunStart) * 10) / 10,
      vzctlStartMs: start,
      met: start <= node + 1.5 * crunStart,
    },
  };
}

/** The first of `files` (v1 name, then v2's) that can be read in `dir`: [name, text]. */
function readFirst(dir, files) {
  for (const f of files) {
    try {
      return [f, readFileSync(join(dir, f), 'utf8').trim()];
    } catch { /* the other version's name */ }
  }
  return [files.join('|'), ''];
}

/** What the kernel holds after the last `set`: the VE's memory limit. */
function checkRam(parentName, ctid, mb) {
  const [file, text] = readFirst(join(memoryParentDir(parentName) ?? '', ctid), ['memory.limit_in_bytes', 'memory.max']);
  return { set: `${mb}M`, kernel: `${file} ${text}`, applied: Number(text) === mb * 2 ** 20 };
}

function checkCpu(parentName, ctid, pct) {
  const dir = join(selfCgroupDirs(parentName).find((d) => /\/cpu(,|\/)/.test(d)) ?? '', ctid);
  const [, quota] = readFirst(dir, ['cpu.cfs_quota_us']);
  let q, p, kernel;
  if (quota) {
    const [, period] = readFirst(dir, ['cpu.cfs_period_us']);
    [q, p, kernel] = [Number(quota), Number(period), `cpu.cfs_quota_us ${quota} / cpu.cfs_period_us ${period}`];
  } else {
    const [, max] = readFirst(dir, ['cpu.max']);
    [q, p] = max.split(' ').map(Number);
    kernel = `cpu.max ${max}`;
  }
  return { set: `${pct}%`, kernel, applied: Math.round((q / p) * 100) === pct };
}

function checkDisk(sb, ctid, size) {
  const r = run([...sb.tool('vzquota'), 'stat', ctid, '-j'], { env: sb.env, allowFail: true });
  let hard;
  try {
    const j = JSON.parse(r.stdout);
    hard = j.diskspace?.hardlimit;
  } catch { /* not JSON */ }
  const want = /G$/.test(size) ? parseInt(size, 10) * 2 ** 20 : parseInt(size, 10) * 1024;
  return { set: size, vzquota: `hard ${hard ?? '?'} KiB`, applied: Number(hard) === want };
}

export function renderLatency(r) {
  const rows = r.rows.map((x) => ({ what: x.what, tool: x.tool, runs: x.runs, 'median ms': x.median, 'p90 ms': x.p90, 'min ms': x.min, 'max ms': x.max }));
  let out = table(rows, ['what', 'tool', 'runs', 'median ms', 'p90 ms', 'min ms', 'max ms']);
  out += '\n\nlive changes read back after the last set:\n' + Object.entries(r.live ?? {}).map(([k, v]) => `  ${k}: set ${v.set}, ${v.kernel ?? v.vzquota} -> ${v.applied ? 'applied' : 'NOT applied'}`).join('\n');
  for (const [peer, e] of Object.entries(r.peerErrors ?? {})) out += `\n${peer} failed: ${e}`;
  if (r.target) out += `\n\ntarget: ${r.target.rule}: limit ${r.target.limitMs} ms, vzctl start ${r.target.vzctlStartMs} ms -> ${r.target.met ? 'met' : 'NOT met'}`;
  return out;
}

/** The machine a report was made on. */
export function machine() {
  const info = readFileSync('/proc/cpuinfo', 'utf8');
  return {
    kernel: release(),
    cpus: cpus().length,
    cpuModel: /^model name\s*:\s*(.*)$/m.exec(info)?.[1] ?? cpus()[0]?.model ?? 'unknown',
    cpuMHz: Math.round(Number(/^cpu MHz\s*:\s*([\d.]+)/m.exec(info)?.[1] ?? cpus()[0]?.speed ?? 0)),
    memoryMiB: Math.round(totalmem() / 2 ** 20),
    node: process.version,
  };
}
