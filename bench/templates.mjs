// Template sharing: what N Debian VEs (init, syslog, cron, sshd, nginx) cost in memory
// when they share one template (the overlay's read-only lower layer: one page cache for
// all of them) and when each has its own copy of the same tree (imported N times under
// other names), measured three ways: the VEs' memory cgroups, the summed PSS of their
// processes, and the drop of the host's MemAvailable.
import { join } from 'node:path';
import { run, sleep, table, factLines } from './lib/measure.mjs';
import { memAvailableKb, pssKb, veCgroup } from './lib/memory.mjs';
import { sandbox } from './lib/sandbox.mjs';
import { DEBIAN as NAME } from './density.mjs';

export async function benchTemplates({ ves = 10, settleMs = 5000, log = console.log } = {}) {
  const sb = sandbox('tmpl');
  const { env, root, parentName, base } = sb;
  const bin = sb.tool;
  const facts = {};
  const rows = [];
  try {
    log(`template ${NAME} (mmdebstrap once per machine, then from the machine cache)`);
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
        sb.made.add(id);
        run([...bin('vzctl'), 'create', id, '--ostemplate', template], { env });
      }
      // Drop clean caches first, so that every variant starts from the same page cache.
      run(['sh', '-c', 'sync; echo 1 > /proc/sys/vm/drop_caches'], { allowFail: true });
      await sleep(500);
      const before = memAvailableKb();
      log(`${mode}: starting ${ves} Debian VEs`);
      for (const id of ids) run([...bin('vzctl'), 'start', id], { env });
      await sleep(settleMs); // their boot scripts and daemons settle
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
    await sb.teardown(log);
  }
  return { name: 'templates', rows, facts };
}

export function renderTemplates(r) {
  const cols = ['template', 'VEs', 'cgroup MB (first VE)', 'cgroup MB (mean)', 'PSS MB (mean)', 'MemAvailable drop MB (per VE)'];
  return `${table(r.rows, cols)}\n\n${factLines(r.facts)}`;
}
