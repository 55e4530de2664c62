// Template sharing: what N Debian VEs (init, syslog, cron, sshd, nginx) cost in memory
// when they share one template (the overlay's read-only lower layer: one page cache for
// all of them) and when each has its own copy of the same tree (imported N times under
// other names), measured three ways: the VEs' memory cgroups, the summed PSS of their
// processes, and the drop of the host's MemAvailable.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, table } from './lib/measure.mjs';
import { removeCgroupParent, selfCgroupDirs } from './lib/cgroup-parent.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = dirname(here);
const NAME = 'debian-12-x86_64';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const memAvailableKb = () => Number(/^MemAvailable:\s+(\d+)/m.exec(readFileSync('/proc/meminfo', 'utf8'))[1]);

function pssKb(pids) {
  let sum = 0;
  for (const pid of pids) {
    try {
      sum += Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
    } catch { /* gone */ }
  }
  return sum;
}

/** A VE's memory cgroup (v1 layout of these machines): usage and member pids. */
function veCgroup(parentName, ctid) {
  const dir = selfCgroupDirs(parentName).find((d) => d.includes('/memory/'));
  if (!dir) return { usageKb: 0, pids: [] };
  const g = join(dir, String(ctid));
  const file = ['memory.usage_in_bytes', 'memory.current'].map((f) => join(g, f)).find((f) => { try { readFileSync(f); return true; } catch { return false; } });
  const usage = file ? Number(readFileSync(file, 'utf8')) : 0;
  const pids = readFileSync(join(g, 'cgroup.procs'), 'utf8').trim().split('\n').filter(Boolean).map(Number);
  return { usageKb: Math.round(usage / 1024), pids };
}

export async function benchTemplates({ ves = 10, log = console.log } = {}) {
  const root = mkdtempSync(join(tmpdir(), 'vzkit-bench-tmpl-'));
  const parentName = `vzkit-bench-tmpl-${process.pid}`;
  const env = { ...process.env, VZKIT_ROOT: root, VZKIT_CGROUP_PARENT: `@self/${parentName}` };
  const bin = (tool) => [process.execPath, join(repo, `packages/cli/dist/${tool}.js`)];
  const base = 1_950_000 + (process.pid % 20_000) * 2 + 5000;
  const facts = {};
  const rows = [];
  const made = [];
  try {
    log(`template ${NAME} (debootstrap once per machine, then from the machine cache)`);
    run([...bin('vztmpl'), 'create', NAME, '-q'], { env, timeout: 20 * 60_000 });
    const exported = join(root, 'debian.tar.zst');
    run([...bin('vztmpl'), 'export', NAME, exported, '-q'], { env, timeout: 10 * 60_000 });
    for (const mode of ['shared', 'copies']) {
      const ids = Array.from({ length: ves }, (_, i) => String(base + (mode === 'shared' ? 0 : ves) + i));
      for (const [i, id] of ids.entries()) {
        let template = NAME;
        if (mode === 'copies') {
          template = `${NAME}-copy${i}`;
          run([...bin('vztmpl'), 'import', exported, template, '-q'], { env, timeout: 10 * 60_000 });
        }
        run([...bin('vzctl'), 'create', id, '--ostemplate', template], { env });
        made.push(id);
      }
      // Drop clean caches first, so that every variant starts from the same page cache.
      run(['sh', '-c', 'sync; echo 1 > /proc/sys/vm/drop_caches'], { allowFail: true });
      await sleep(500);
      const before = memAvailableKb();
      log(`${mode}: starting ${ves} Debian VEs`);
      for (const id of ids) run([...bin('vzctl'), 'start', id], { env });
      await sleep(5000); // their boot scripts and daemons settle
      const groups = ids.map((id) => veCgroup(parentName, id));
      const first = groups[0];
      rows.push({
        template: mode === 'shared' ? `one shared (${NAME})` : `a copy per VE`,
        VEs: ves,
        'cgroup MB (first VE)': Math.round(first.usageKb / 102.4) / 10,
        'cgroup MB (mean)': Math.round(groups.reduce((a, g) => a + g.usageKb, 0) / ves / 102.4) / 10,
        'PSS MB (mean)': Math.round(groups.reduce((a, g) => a + pssKb(g.pids), 0) / ves / 102.4) / 10,
        'MemAvailable drop MB (per VE)': Math.round((before - memAvailableKb()) / ves / 102.4) / 10,
      });
      for (const id of ids) run([...bin('vzctl'), 'stop', id, '--fast'], { env });
    }
    const [shared, copies] = rows;
    facts['memory per VE, one shared template vs a copy each (MemAvailable drop, MB)'] = `${shared['MemAvailable drop MB (per VE)']} vs ${copies['MemAvailable drop MB (per VE)']}`;
  } finally {
    for (const id of made) {
      run([...bin('vzctl'), 'stop', id, '--fast'], { env, allowFail: true });
      run([...bin('vzctl'), 'destroy', id], { env, allowFail: true });
    }
    const left = removeCgroupParent(parentName);
    if (left.length) log(`warning: cgroups left: ${left.join(', ')}`);
    rmSync(root, { recursive: true, force: true });
  }
  return { name: 'templates', rows, facts };
}

export function renderTemplates(r) {
  const cols = ['template', 'VEs', 'cgroup MB (first VE)', 'cgroup MB (mean)', 'PSS MB (mean)', 'MemAvailable drop MB (per VE)'];
  return table(r.rows, cols) + '\n\n' + Object.entries(r.facts).map(([k, v]) => `${k}: ${v}`).join('\n');
}
