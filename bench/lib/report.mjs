// The report of a benchmark run, apart from running anything: the JSON object (with the
// original claims set against vzkit's and the peers' figures of the same run), its
// markdown and its SVG plots. run.mjs builds it from what the benchmarks return; the
// shape test builds it from a small synthetic set.
import { renderLatency } from '../latency.mjs';
import { renderScale, scaleSvgs } from '../scale.mjs';
import { renderDensity, densitySvg, limitReachedAt } from '../density.mjs';
import { renderThroughput } from '../throughput.mjs';
import { renderUbc } from '../ubc.mjs';
import { renderFairsched, fairschedSvg } from '../fairsched.mjs';
import { renderNet } from '../net.mjs';
import { renderTemplates } from '../templates.mjs';
import { renderQuota } from '../quota.mjs';
import { renderVzkitd } from '../vzkitd.mjs';
import { renderScrape } from '../scrape.mjs';
import { renderProcfs } from '../procfs.mjs';
import { renderBulk } from '../bulk.mjs';

export const REPORT_VERSION = 2;

/** Every benchmark: its section title, text renderer and plots (name → SVG text). */
export const SECTIONS = {
  latency: { title: 'latency: create, start, exec, stop, destroy, set (beside crun, lxc-execute, unshare)', render: renderLatency, file: 'bench/latency.mjs' },
  scale: { title: 'scale: busybox VEs at N = 1, 10, 100 (500)', render: renderScale, svgs: scaleSvgs, file: 'bench/scale.mjs' },
  density: { title: 'density: VEs under a 1 GiB cgroup parent', render: renderDensity, svgs: (r) => ({ density: densitySvg(r) }), file: 'bench/density.mjs' },
  throughput: { title: 'throughput: the 4.2 KB page from many VEs', render: renderThroughput, file: 'bench/throughput.mjs' },
  ubc: { title: 'beancounters (ubc)', render: renderUbc, file: 'bench/ubc.mjs' },
  fairsched: { title: 'fair CPU scheduler', render: renderFairsched, svgs: (r) => ({ fairsched: fairschedSvg(r) }), file: 'bench/fairsched.mjs' },
  net: { title: 'network (venet)', render: renderNet, file: 'bench/net.mjs' },
  templates: { title: 'template sharing (Debian VEs)', render: renderTemplates, file: 'bench/templates.mjs' },
  quota: { title: 'disk quota', render: renderQuota, file: 'bench/quota.mjs' },
  vzkitd: { title: 'vzkitd: API beside vzctl, bulk start and stop, metrics scrape', render: renderVzkitd, file: 'bench/vzkitd.mjs' },
  scrape: { title: 'vzkitd: metrics scrape at 1000 running VEs', render: renderScrape, file: 'bench/scrape.mjs' },
  procfs: { title: 'vzprocfs: reads of /dev/vz and /proc/meminfo inside a VE, beside lxcfs', render: renderProcfs, file: 'bench/procfs.mjs' },
  bulk: { title: 'bulk start of 100 VEs beside crun, interleaved', render: renderBulk, file: 'bench/bulk.mjs' },
};

/** `2026-12-01T17:00:00.000Z` → `2026-12-01-17-00-00`, the results' file names. */
export const stampOf = (date) => date.slice(0, 19).replace(/[:T]/g, '-');

const mb = (kb) => `${Math.round(kb / 102.4) / 10} MB`;
const msOf = (s) => (s ? `${s.median} ms (p90 ${s.p90})` : 'not measured');

/** The original announcement's claims against this run's figures. */
export function claimsOf(benchmarks, machine) {
  const by = Object.fromEntries(benchmarks.filter((b) => !b.error).map((b) => [b.name, b]));
  const failed = Object.fromEntries(benchmarks.filter((b) => b.error).map((b) => [b.name, b.error]));
  const missing = (name) => ({ what: `bench/${name}.mjs`, value: failed[name] ? `not measured: ${failed[name]}` : 'not run', command: `pnpm bench (bench/${name}.mjs)` });
  const lat = by.latency, dens = by.density, tp = by.throughput;
  const row = (id) => lat?.rows.find((r) => r.id === id);
  const fromRow = (id, source = 'bench/latency.mjs') => {
    const r = row(id);
    return r ? { what: r.what, value: msOf(r), command: `${r.command} (${source})` } : null;
  };
  const debian = dens?.variants.find((v) => v.template !== 'busybox' && v.sharing === 'shared');
  const densityCmd = (v) => `vzctl create CTID --ostemplate ${v.template} --ipadd ADDR; vzctl start CTID; fetch http://ADDR/, VE after VE (bench/density.mjs)`;
  const tpCmd = tp ? `${tp.load}, against the VEs' addresses (bench/throughput.mjs)` : '';

  const claims = [];
  claims.push({
    id: 'density',
    claim: '100 VEs, each a full system, on a 1 GB machine',
    original: '100 VEs on 1 GB (init, syslog, sshd, xinetd, sendmail, httpd each)',
    vzkit: dens ? dens.variants.map((v) => ({
      what: `${v.template} VEs running and serving their page under a ${dens.limitBytes / 2 ** 30} GiB cgroup (${v.sharing === 'shared' ? 'one shared template' : 'a template copy each'})`,
      value: v.error ? `failed: ${v.error}` : `${v.maxN}${/^the bound/.test(v.stoppedBy ?? '') ? (limitReachedAt(v, dens.limitBytes) ? ` (the bound of this mode; the limit was reached at N=${limitReachedAt(v, dens.limitBytes)}, the VEs after it ran on reclaimed page cache)` : ` (the bound of this mode: more fit)`) : ` (stopped by ${v.stoppedBy}${limitReachedAt(v, dens.limitBytes) ? `; the limit was reached at N=${limitReachedAt(v, dens.limitBytes)}` : ''})`}${v.memory ? `; per VE ${mb(v.memory.cgroupKbPerVe)} cgroup, ${mb(v.memory.pssKbPerVe)} PSS` : ''}`,
      command: densityCmd(v),
    })) : [missing('density')],
    peers: [],
    note: 'No peer boots a full system here; peers.md: an idle crun container (busybox sleep) takes about 172 KiB of memory cgroup.',
  });
  claims.push({
    id: 'throughput',
    claim: '4.2 KB static pages at more than 80,000 requests per minute in total, 100 VEs',
    original: '> 80,000 req/min, 100 VEs, one 2.8 GHz Celeron',
    vzkit: tp ? [{ what: `${tp.ves} VEs, busybox httpd each, own venet address`, value: `${tp.requestsPerMinute.ve.median} req/min (runs ${tp.requestsPerMinute.ve.min} to ${tp.requestsPerMinute.ve.max})`, command: tpCmd }] : [missing('throughput')],
    peers: tp ? [{ tool: 'host (no VE)', what: `the same busybox httpd as ${tp.ves} processes in the host's network namespace`, value: `${tp.requestsPerMinute.host.median} req/min`, command: `busybox httpd -f -p ADDR:80 x${tp.ves}; ${tp.load} (bench/throughput.mjs)` }] : [],
    note: `This machine: ${machine.cpus} x ${machine.cpuModel ?? 'CPU'}${machine.cpuMHz ? ` at ${machine.cpuMHz} MHz` : ''}; wrk runs on the same CPUs.`,
  });
  const quotaTp = by.quota?.throughput;
  const qHost = quotaTp && Object.entries(quotaTp).find(([k]) => k.startsWith('host'))?.[1];
  const qVe = quotaTp && Object.entries(quotaTp).find(([k]) => k.startsWith('VE without quota'))?.[1];
  claims.push({
    id: 'overhead',
    claim: 'overhead under 1-2 %',
    original: '1-2 %',
    vzkit: [
      tp ? { what: `HTTP throughput of ${tp.ves} VEs against the same servers on the host`, value: `${tp.overheadPct.median} % (per run ${tp.overheadPct.min} to ${tp.overheadPct.max} %)`, command: tpCmd } : missing('throughput'),
      ...(qHost && qVe ? [{
        what: `disk writes in a VE against the host (dd ${by.quota.writeMb} MB, fsync, median of ${qVe.runs}; timed by /proc/uptime, 10 ms steps)`,
        value: `${Math.round((1 - qVe.median / qHost.median) * 1000) / 10} % (${qVe.median} vs ${qHost.median} MB/s)`,
        command: `dd if=/dev/zero of=FILE bs=1M count=${by.quota.writeMb} conv=fsync (bench/quota.mjs)`,
      }] : []),
    ],
    peers: tp ? [{ tool: 'host (no VE)', what: 'the baseline', value: '0 %', command: 'the same load against the host (bench/throughput.mjs)' }] : [],
    ...(tp && tp.overheadPct.median < 0 ? { note: 'Negative: the VEs served more than the host in that run (within the spread of the runs).' } : {}),
  });
  claims.push({
    id: 'create',
    claim: 'a VE is created in under a minute',
    original: '< 1 min',
    vzkit: [
      fromRow('vzctl.create'),
      debian?.createMs ? { what: `vzctl create of a ${debian.template} VE (the template there)`, value: msOf(debian.createMs), command: `vzctl create CTID --ostemplate ${debian.template} --ipadd ADDR (bench/density.mjs)` } : null,
      debian?.templateCreateS !== undefined ? { what: `the ${debian.template} template made ready (from the machine cache when there; an mmdebstrap build takes about 30 s)`, value: `${debian.templateCreateS} s`, command: `vztmpl create ${debian.template} (bench/density.mjs)` } : null,
    ].filter(Boolean),
    peers: [],
    note: 'crun and lxc-execute take a ready root filesystem: they have no create step to compare.',
  });
  if (!claims.at(-1).vzkit.length) claims.at(-1).vzkit.push(missing('latency'));
  claims.push({
    id: 'start-stop',
    claim: 'a VE starts or stops in 1-2 s',
    original: '1-2 s',
    vzkit: [
      fromRow('vzctl.start'),
      fromRow('vzctl.stop.fast'),
      fromRow('vzctl.stop.halt'),
      debian?.startMs ? { what: `vzctl start of a ${debian.template} VE`, value: msOf(debian.startMs), command: 'vzctl start CTID (bench/density.mjs)' } : null,
      debian?.serveMs ? { what: `then until its nginx serves the page`, value: msOf(debian.serveMs), command: 'fetch http://ADDR/ until 200 (bench/density.mjs)' } : null,
    ].filter(Boolean),
    peers: ['crun.run', 'crun.stop', 'lxc.execute', 'unshare', 'node'].map((id) => {
      const r = row(id);
      return r && { tool: r.tool, what: r.what, value: msOf(r), command: `${r.command} (bench/latency.mjs)` };
    }).filter(Boolean),
  });
  if (!claims.at(-1).vzkit.length) claims.at(-1).vzkit.push(missing('latency'));
  claims.push({
    id: 'live',
    claim: 'every resource limit can be changed while the VE runs',
    original: 'all limits changeable live',
    vzkit: lat ? [['ram', 'vzctl.set.ram'], ['cpulimit', 'vzctl.set.cpulimit'], ['diskspace', 'vzctl.set.diskspace']].map(([k, id]) => {
      const r = row(id), l = lat.live?.[k];
      return { what: r?.what ?? id, value: `${msOf(r)}; ${l?.applied ? 'in force at once' : 'NOT in force'} (${l?.kernel ?? l?.vzquota ?? '-'})`, command: `${r?.command ?? id} (bench/latency.mjs)` };
    }) : [missing('latency')],
    peers: [],
    note: 'crun update needs crun\'s cgroup manager, which is off on this cgroup layout (peers.md): not measured. bench/ubc.mjs and bench/fairsched.mjs change beancounters and CPU shares live too.',
  });
  return claims;
}

/** The report object: what results/<stamp>.json holds. */
export function buildReport({ mode, date, durationS, machine, benchmarks, command }) {
  const stamp = stampOf(date);
  const plots = [];
  for (const b of benchmarks) {
    const svgs = !b.error && SECTIONS[b.name]?.svgs;
    if (svgs) for (const name of Object.keys(svgs(b))) plots.push({ benchmark: b.name, file: `${stamp}-${name}.svg` });
  }
  return { version: REPORT_VERSION, date, mode, command, machine, durationS, claims: claimsOf(benchmarks, machine), plots, benchmarks };
}

/** The SVG files of a report: [{ file, content }]. */
export function plotFiles(report) {
  const stamp = stampOf(report.date);
  return report.benchmarks.flatMap((b) => {
    const svgs = !b.error && SECTIONS[b.name]?.svgs;
    return svgs ? Object.entries(svgs(b)).map(([name, content]) => ({ file: `${stamp}-${name}.svg`, content })) : [];
  });
}

const cell = (s) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderClaims(claims) {
  const lines = ['| claim | original | vzkit, this run | peers, this run |', '|---|---|---|---|'];
  for (const c of claims) {
    const vz = c.vzkit.map((x) => `${x.what}: **${x.value}**`).join('<br>');
    const peers = c.peers.length ? c.peers.map((x) => `${x.tool}: ${x.what}: ${x.value}`).join('<br>') : '-';
    lines.push(`| ${cell(c.claim)} | ${cell(c.original)} | ${cell(vz)} | ${cell(peers)} |`);
  }
  const commands = claims.map((c) => `- ${c.claim}:\n${[...c.vzkit, ...c.peers].map((x) => `  - ${x.tool ? `${x.tool}: ` : ''}${x.what}: \`${x.command}\``).join('\n')}${c.note ? `\n  - note: ${c.note}` : ''}`);
  return `${lines.join('\n')}\n\nHow each figure was made:\n\n${commands.join('\n')}`;
}

export function renderMarkdown(report) {
  const m = report.machine;
  const parts = [
    `# vzkit benchmarks (${report.mode}, ${report.date})`,
    `Machine: kernel ${m.kernel}, ${m.cpus} x ${m.cpuModel ?? 'CPU'}${m.cpuMHz ? ` (${m.cpuMHz} MHz)` : ''}, ${m.memoryMiB ?? '?'} MiB, Node ${m.node}. \`${report.command}\` took ${report.durationS} s.`,
    '## The original claims, this run',
    renderClaims(report.claims),
  ];
  for (const b of report.benchmarks) {
    const s = SECTIONS[b.name];
    parts.push(`## ${s?.title ?? b.name}`);
    parts.push(b.error ? `failed: ${b.error}` : `\`\`\`\n${s ? s.render(b) : JSON.stringify(b, null, 1)}\n\`\`\``);
    for (const p of report.plots.filter((x) => x.benchmark === b.name)) parts.push(`![${p.file}](./${p.file})`);
  }
  return parts.join('\n\n') + '\n';
}

const isObj = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v) => typeof v === 'number' && Number.isFinite(v);
const isStr = (v) => typeof v === 'string' && v.length > 0;
const isSummary = (s) => isObj(s) && ['runs', 'median', 'p90', 'min', 'max'].every((k) => isNum(s[k]));

/** What is wrong with a report's shape (not its numbers); [] when nothing. */
export function shapeProblems(report) {
  const p = [];
  const need = (ok, what) => { if (!ok) p.push(what); };
  need(isObj(report), 'report is an object');
  if (!isObj(report)) return p;
  need(report.version === REPORT_VERSION, `version ${REPORT_VERSION}`);
  need(isStr(report.date) && !Number.isNaN(Date.parse(report.date)), 'date');
  need(report.mode === 'quick' || report.mode === 'full', 'mode quick|full');
  need(isStr(report.command), 'command');
  need(isNum(report.durationS), 'durationS');
  need(isObj(report.machine) && isStr(report.machine.kernel) && isNum(report.machine.cpus) && isStr(report.machine.node), 'machine');
  need(Array.isArray(report.benchmarks) && report.benchmarks.every((b) => isObj(b) && isStr(b.name)), 'benchmarks: named objects');
  need(Array.isArray(report.plots) && report.plots.every((x) => isObj(x) && /\.svg$/.test(x.file ?? '') && isStr(x.benchmark)), 'plots: svg files');
  const ids = ['density', 'throughput', 'overhead', 'create', 'start-stop', 'live'];
  need(Array.isArray(report.claims) && ids.every((id) => report.claims.some((c) => c.id === id)), `claims: ${ids.join(', ')}`);
  for (const c of report.claims ?? []) {
    need(isStr(c.claim) && isStr(c.original), `claim ${c.id}: claim and original`);
    need(Array.isArray(c.vzkit) && c.vzkit.length > 0 && c.vzkit.every((x) => isStr(x.what) && isStr(x.value) && isStr(x.command)), `claim ${c.id}: vzkit figures with commands`);
    need(Array.isArray(c.peers) && c.peers.every((x) => isStr(x.tool) && isStr(x.what) && isStr(x.value) && isStr(x.command)), `claim ${c.id}: peers with commands`);
  }
  for (const b of (report.benchmarks ?? []).filter((x) => isObj(x) && !x.error)) {
    if (b.name === 'latency') {
      need(Array.isArray(b.rows) && b.rows.every((r) => isStr(r.id) && isStr(r.tool) && isStr(r.command) && isSummary(r)), 'latency: rows');
      need(isObj(b.live) && ['ram', 'cpulimit', 'diskspace'].every((k) => typeof b.live[k]?.applied === 'boolean'), 'latency: live');
    } else if (b.name === 'scale') {
      need(Array.isArray(b.checkpoints) && b.checkpoints.length > 0 && b.checkpoints.every((x) => isNum(x.n) && isSummary(x.startMs) && isObj(x.memPerVeKb) && isNum(x.memPerVeKb.cgroup) && isNum(x.memPerVeKb.pss)), 'scale: checkpoints');
      need(isObj(b.totals) && Object.values(b.totals).every(isNum), 'scale: totals');
    } else if (b.name === 'density') {
      need(isNum(b.limitBytes) && Array.isArray(b.variants) && b.variants.every((v) => isStr(v.template) && isStr(v.sharing) && isNum(v.maxN) && (isStr(v.error) || isStr(v.stoppedBy))), 'density: variants');
    } else if (b.name === 'throughput') {
      need(isNum(b.ves) && isSummary(b.requestsPerMinute?.ve) && isSummary(b.requestsPerMinute?.host) && isNum(b.overheadPct?.median), 'throughput: requests and overhead');
    }
  }
  return p;
}
