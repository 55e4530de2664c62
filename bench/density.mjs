// Density: how many VEs run and serve a page when all of them together get 1 GiB of
// memory (the original: 100 full VEs on a 1 GB machine). The whole cgroup parent of the
// benchmark's VEs is limited before any starts; VEs, each with its own venet address, are
// started one after another until one fails to start or to serve its page (Node's fetch
// from the bench's network namespace), the others stop serving, or a bound is hit.
// Debian VEs (init, syslog, cron, sshd, nginx) all from one template, optionally each
// from a copy of it, and busybox VEs (init, syslogd, httpd).
// The Debian template (and each copy) is unpacked by a process in a throwaway memory
// cgroup whose page cache is then reclaimed: otherwise the template's files stay cached,
// charged to the bench's own cgroup outside the limit, and the VEs that run them are
// never charged for them (a copy per VE then looks as cheap as one shared template).
import { machine } from 'node:os';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { run, summarize, table } from './lib/measure.mjs';
import { limitParentMemory, memAvailableKb, memoryParentDir, parentPressure, usageKb, vesMemory } from './lib/memory.mjs';
import { removeCgroupParent } from './lib/cgroup-parent.mjs';
import { benchNetns, veAddress } from './lib/netns.mjs';
import { fetchAll, writePage } from './lib/http.mjs';
import { sandbox } from './lib/sandbox.mjs';
import { linePlot } from './lib/svg.mjs';

/** The Debian template of this machine (uname -m), as vztmpl names it. */
export const DEBIAN = `debian-12-${machine()}`;
const GiB = 2 ** 30;

/** Runs argv and says how it went, without throwing: { ms, ok, error }. */
function attempt(argv, opts) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 180_000, ...opts });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const error = r.status === 0 ? null : (r.stderr || r.stdout || `exit ${r.status ?? r.signal}`).trim().split('\n').pop().slice(0, 300);
  return { ms, ok: r.status === 0, error };
}

/**
 * Runs argv (with `attempt`) in the memory cgroup `name` (made under the bench's own
 * cgroup, a sibling of the limited parent), then writes back and reclaims what it left
 * in the page cache (v1 memory.force_empty, v2 memory.reclaim): the files it wrote are
 * read again, and charged, by the first VE that uses them. Returns attempt's result and
 * the kB that stayed charged (leftKb).
 */
function attemptUncached(name, argv, opts) {
  const dir = memoryParentDir(name);
  if (!dir) return { ...attempt(argv, opts), leftKb: null };
  mkdirSync(dir, { recursive: true });
  const r = attempt(['sh', '-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', dir, ...argv], opts);
  spawnSync('sync', ['-f', opts.env?.VZKIT_ROOT ?? '/'], { timeout: 120_000 });
  try {
    if (readFileSync(join(dir, 'cgroup.procs'), 'utf8').trim() === '') {
      try { writeFileSync(join(dir, 'memory.force_empty'), '0'); } catch { writeFileSync(join(dir, 'memory.reclaim'), String(64 * GiB)); }
    }
  } catch { /* what could not be reclaimed is reported as leftKb */ }
  return { ...r, leftKb: usageKb(dir) };
}

/**
 * @param {{ variants: { template: string, sharing: 'shared' | 'copies', bound: number, budgetS: number }[],
 *   limitBytes?: number, log?: (m: string) => void }} opts
 */
export async function benchDensity({ variants, limitBytes = GiB, log = console.log }) {
  const netns = benchNetns('dens');
  const results = [];
  try {
    for (const v of variants) {
      try {
        results.push(await fill(netns, v, limitBytes, log));
      } catch (e) {
        log(`density: ${v.template} (${v.sharing}) failed: ${e.message}`);
        results.push({ template: v.template, sharing: v.sharing, bound: v.bound, maxN: 0, error: e.message, steps: [] });
      }
    }
  } finally {
    netns.remove();
  }
  return { name: 'density', limitBytes, variants: results };
}

async function fill(netns, v, limitBytes, log) {
  const debian = v.template !== 'busybox';
  const sb = sandbox(`dens${debian ? 'd' : 'b'}${v.sharing === 'copies' ? 'c' : ''}`, { netns });
  const { env, vzctl, tool } = sb;
  const unpackCgroup = `${sb.parentName}-unpack`;
  const uncachedKb = [];
  const out = { template: v.template, sharing: v.sharing, bound: v.bound, budgetS: v.budgetS, maxN: 0, stoppedBy: null, steps: [] };
  const times = { create: [], start: [], serve: [] };
  const t0 = Date.now();
  const urls = [];
  const ids = [];
  let exported;
  try {
    if (debian) {
      log(`density: template ${v.template} (from the machine cache, or mmdebstrap)`);
      const t = attemptUncached(unpackCgroup, [...tool('vztmpl'), 'create', v.template, '-q'], { env, timeout: 20 * 60_000 });
      if (!t.ok) throw new Error(`vztmpl create ${v.template}: ${t.error}`);
      uncachedKb.push(t.leftKb);
      out.templateCreateS = Math.round(t.ms / 100) / 10;
      if (v.sharing === 'copies') {
        exported = join(sb.root, 'template.tar.zst');
        run([...tool('vztmpl'), 'export', v.template, exported, '-q'], { env, timeout: 10 * 60_000 });
      }
    }
    const limit = limitParentMemory(sb.parentName, limitBytes);
    const before = memAvailableKb();
    const startsMs = [];
    const measure = (count) => ({
      n: count,
      ...vesMemory(sb.parentName, ids.slice(0, count)),
      parentKb: usageKb(limit.dir),
      memAvailableDropKb: before - memAvailableKb(),
    });
    const serveDeadline = debian ? 60_000 : 10_000;
    let good = null;
    // Each VE's page is checked before it counts. The first SEQUENTIAL VEs are started one
    // at a time, each checked before the next starts: their start and serve times are the
    // ones reported. After them, a Debian VE's check runs (in the fetch helper) while the
    // next VE is made and started, so that its boot overlaps the next start.
    const SEQUENTIAL = 5;
    let pending = null;
    const settle = async () => {
      if (!pending) return true;
      const { n, url, check, timed } = pending;
      pending = null;
      const f = await check;
      if (f.ok !== 1) { out.stoppedBy = `VE ${n} did not serve its page within ${serveDeadline / 1000} s (${f.failed[0]?.error})`; return false; }
      if (timed) times.serve.push(f.ms[0]);
      urls.push(url);
      out.steps.push({ n, parentKb: usageKb(limit.dir) });
      if (n % 10 === 0 || n === v.bound) {
        const all = await fetchAll(netns, urls, 20_000);
        if (all.failed.length) { out.stoppedBy = `${all.failed.length} of ${urls.length} VEs stopped serving (${all.failed[0].url}: ${all.failed[0].error})`; return false; }
        good = measure(urls.length);
      }
      return true;
    };
    log(`density: ${v.template} VEs (${v.sharing} template) under a ${limitBytes / GiB} GiB cgroup parent, up to ${v.bound} or ${v.budgetS} s`);
    for (let i = 0; i < v.bound; i++) {
      if (Date.now() - t0 > v.budgetS * 1000) { out.stoppedBy = `the time budget (${v.budgetS} s)`; break; }
      const id = String(sb.base + i);
      const addr = veAddress(i);
      let template = v.template;
      if (exported) {
        template = `${v.template}-copy${i}`;
        const im = attemptUncached(unpackCgroup, [...tool('vztmpl'), 'import', exported, template, '-q'], { env, timeout: 10 * 60_000 });
        if (!im.ok) { out.stoppedBy = `VE ${i + 1}: vztmpl import failed: ${im.error}`; break; }
        uncachedKb.push(im.leftKb);
      }
      sb.made.add(id);
      const c = attempt([...vzctl, 'create', id, '--ostemplate', template, '--ipadd', addr], { env });
      if (!c.ok) { out.stoppedBy = `VE ${i + 1}: vzctl create failed: ${c.error}`; break; }
      times.create.push(c.ms);
      if (!debian) writePage(sb.upper(id));
      const s = attempt([...vzctl, 'start', id], { env });
      startsMs.push(Math.round(s.ms * 10) / 10);
      if (!(await settle())) break;
      if (!s.ok) { out.stoppedBy = `VE ${i + 1}: vzctl start failed: ${s.error}`; break; }
      const overlap = debian && i >= SEQUENTIAL;
      if (!overlap) times.start.push(s.ms);
      ids.push(id);
      pending = { n: i + 1, url: `http://${addr}/`, check: fetchAll(netns, [`http://${addr}/`], serveDeadline), timed: !overlap };
      if (!overlap && !(await settle())) break;
    }
    if (!out.stoppedBy || /time budget/.test(out.stoppedBy)) await settle();
    // Stopped by a VE that failed to start or serve: do the ones before it all still serve?
    if (out.stoppedBy && urls.length > (good?.n ?? 0) && !/stopped serving/.test(out.stoppedBy)) {
      if ((await fetchAll(netns, urls, 20_000)).failed.length === 0) good = measure(urls.length);
    }
    out.stoppedBy ??= `the bound (${v.bound})`;
    out.maxN = good?.n ?? 0;
    out.memory = good && {
      n: good.n,
      cgroupKbPerVe: good.cgroupKb,
      pssKbPerVe: good.pssKb,
      parentKbPerVe: Math.round(good.parentKb / good.n),
      memAvailableDropKbPerVe: Math.round(good.memAvailableDropKb / good.n),
      processes: good.processes,
    };
    out.pressure = parentPressure(limit.dir);
    // Every start, in order (the first SEQUENTIAL alone, later Debian ones overlapping
    // the previous VE's boot): how the start grows with N.
    out.startsEachMs = startsMs;
  } finally {
    await sb.teardown(log);
    const left = removeCgroupParent(unpackCgroup);
    if (left.length) log(`warning: cgroups left: ${left.join(', ')}`);
  }
  if (uncachedKb.length) out.unpackLeftKb = Math.max(...uncachedKb.map((k) => k ?? 0));
  for (const [k, s] of Object.entries(times)) if (s.length) out[`${k}Ms`] = summarize(s);
  out.timedVes = times.start.length;
  out.durationS = Math.round((Date.now() - t0) / 100) / 10;
  return out;
}

/**
 * The first N at which the VEs' parent was at its limit (usage within 3 % of it), or
 * undefined: VEs counted after it ran because the kernel reclaimed page cache.
 */
export const limitReachedAt = (v, limitBytes) => v.steps?.find((s) => s.parentKb * 1024 >= 0.97 * limitBytes)?.n;

const mb = (kb) => (kb === undefined || kb === null ? '-' : Math.round(kb / 102.4) / 10);

export function renderDensity(r) {
  const rows = r.variants.map((v) => ({
    VEs: `${v.template} (${v.sharing === 'shared' ? 'one shared template' : 'a copy each'})`,
    'largest N running and serving': v.maxN,
    bound: v.bound,
    'cgroup MB/VE': mb(v.memory?.cgroupKbPerVe),
    'PSS MB/VE': mb(v.memory?.pssKbPerVe),
    'MemAvailable drop MB/VE': mb(v.memory?.memAvailableDropKbPerVe),
    'start ms (median)': v.startMs?.median,
    'serve ms (median)': v.serveMs?.median,
  }));
  const cols = ['VEs', 'largest N running and serving', 'bound', 'cgroup MB/VE', 'PSS MB/VE', 'MemAvailable drop MB/VE', 'start ms (median)', 'serve ms (median)'];
  const notes = r.variants.map((v) => v.error ? `${v.template} (${v.sharing}): failed: ${v.error}` : `${v.template} (${v.sharing}): stopped by ${v.stoppedBy}${limitReachedAt(v, r.limitBytes) ? ` (the limit was reached at N=${limitReachedAt(v, r.limitBytes)})` : ''}; limit hits ${v.pressure?.failcnt ?? '-'}, OOM kills ${v.pressure?.oomKills ?? '-'}; create ${v.createMs?.median ?? '-'} ms (median); start and serve times of the first ${v.timedVes ?? '-'} VEs, each started alone${v.templateCreateS !== undefined ? `; template ready in ${v.templateCreateS} s` : ''}${v.unpackLeftKb !== undefined ? `; its page cache reclaimed after unpacking (${v.unpackLeftKb} kB left)` : ''}; ${v.durationS} s`);
  return `memory limit of the whole cgroup parent: ${r.limitBytes / GiB} GiB\n\n${table(rows, cols)}\n\n${notes.join('\n')}`;
}

/** Memory charged to the limited parent as VEs are added, per variant. */
export function densitySvg(r) {
  return linePlot({
    title: `Memory of all VEs (one cgroup parent, limit ${r.limitBytes / GiB} GiB) as VEs are added`,
    xLabel: 'VEs running and serving', yLabel: 'parent cgroup usage (MB)',
    series: r.variants.map((v) => ({ name: `${v.template} (${v.sharing})`, points: v.steps.map((s) => [s.n, Math.round(s.parentKb / 1024)]) })),
  });
}
