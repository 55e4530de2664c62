/**
 * `GET /metrics`: Prometheus text from the plugins' metric declarations. One scrape
 * refreshes the inventory (two stat calls per VE), reads every running VE's cgroup
 * counters in one pass (`CgroupManager.sample`: kept descriptors, one pread per
 * counter), then lets each plugin's `collect` turn them into samples; configs are the
 * inventory's, parsed when they change, not at each scrape. Concurrent scrapes share one
 * pass. The same pass without the text is the periodic sampling behind the plugins'
 * events (ubc:failcnt, quota:limit).
 */
import type { MetricFamily, MetricsVe, Runtime } from '@vzkit/core';
import type { Inventory, VeEntry } from './inventory.js';

/** The daemon's own families (the VEs' states, the scrape's cost). */
const OWN: MetricFamily[] = [
  { name: 'vzkit_ve_up', help: 'Whether the VE runs (1) or not (0), for every VE of this root.', type: 'gauge' },
  { name: 'vzkit_ve_start_time_seconds', help: 'When the VE\'s init started, seconds since the epoch.', type: 'gauge' },
  { name: 'vzkit_scrape_cpu_seconds', help: 'CPU time vzkitd spent on the previous scrape of /metrics.', type: 'gauge' },
  { name: 'vzkit_scrape_ves', help: 'Running VEs the previous scrape covered.', type: 'gauge' },
];

/** Prometheus label value escaping: backslash, quote, newline. */
export function escapeLabel(v: string): string {
  return v.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

/** A sample value as the text format writes it. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** Collects samples family by family and writes the exposition text. */
export class MetricsText {
  readonly #families = new Map<string, { family: MetricFamily; lines: string[] }>();
  readonly #prefix = new Map<number, string>();

  declare(f: MetricFamily): void {
    if (!this.#families.has(f.name)) this.#families.set(f.name, { family: f, lines: [] });
  }

  /** ctid and name first, then the sample's own labels. */
  add(family: string, ctid: number, name: string | undefined, value: number, labels?: Readonly<Record<string, string>>): void {
    const f = this.#families.get(family);
    if (!f) return;
    let prefix = this.#prefix.get(ctid);
    if (prefix === undefined) this.#prefix.set(ctid, (prefix = `ctid="${ctid}",name="${escapeLabel(name ?? '')}"`));
    let extra = '';
    if (labels) for (const k in labels) extra += `,${k}="${escapeLabel(labels[k]!)}"`;
    f.lines.push(`${family}{${prefix}${extra}} ${formatValue(value)}`);
  }

  /** A sample without VE labels. */
  addPlain(family: string, value: number): void {
    this.#families.get(family)?.lines.push(`${family} ${formatValue(value)}`);
  }

  text(): string {
    const out: string[] = [];
    for (const { family, lines } of this.#families.values()) {
      if (lines.length === 0) continue;
      out.push(`# HELP ${family.name} ${family.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${family.name} ${family.type}`, ...lines);
    }
    return `${out.join('\n')}\n`;
  }
}

function metricsVe(e: VeEntry, stats: Map<string, import('@vzkit/core').CgroupStats>): MetricsVe {
  const st = e.state!;
  return {
    ctid: e.ctid,
    name: e.name,
    config: e.config,
    cgroup: st.cgroup!,
    initPid: st.pid!,
    cgroupStats: stats.get(st.cgroup!),
    pluginStates: st.plugins,
  };
}

export interface Collected {
  /** The running VEs of this pass and their counters. */
  ves: MetricsVe[];
  text?: string;
}

export class Metrics {
  #inflight: Promise<Collected> | undefined;
  #lastCpu = 0;
  #lastVes = 0;
  /** When the last pass ended (ms since the epoch): the sampler skips a pass a scrape just did. */
  lastPass = 0;

  constructor(private readonly rt: Runtime, private readonly inventory: Inventory) {}

  /** The exposition text of all families (a scrape). */
  async scrape(): Promise<string> {
    // A scrape needs the text: wait out a sampling pass rather than share it.
    while (this.#inflight) await this.#inflight.catch(() => undefined);
    return (await this.#run(true)).text!;
  }

  /** A pass for the plugins' events only; shared with one already running. */
  sample(): Promise<Collected> {
    return this.#inflight ?? this.#run(false);
  }

  #run(render: boolean): Promise<Collected> {
    this.#inflight = this.#pass(render).finally(() => {
      this.#inflight = undefined;
      this.lastPass = Date.now();
    });
    return this.#inflight;
  }

  async #pass(render: boolean): Promise<Collected> {
    const cpu0 = process.cpuUsage();
    await this.inventory.refresh();
    const running = this.inventory.running();
    const stats = await this.rt.host.cgroups.sample(running.map((e) => e.state!.cgroup!));
    const ves = running.map((e) => metricsVe(e, stats));
    const text = render ? new MetricsText() : undefined;
    if (text) {
      for (const f of OWN) text.declare(f);
      const up = new Set(ves.filter((v) => v.cgroupStats !== undefined).map((v) => v.ctid));
      for (const e of this.inventory.ves.values()) {
        text.add('vzkit_ve_up', e.ctid, e.name, up.has(e.ctid) ? 1 : 0);
        const startedAt = e.state?.phase === 'running' && e.state.startedAt ? Date.parse(e.state.startedAt) : NaN;
        if (up.has(e.ctid) && Number.isFinite(startedAt)) text.add('vzkit_ve_start_time_seconds', e.ctid, e.name, startedAt / 1000);
      }
      text.addPlain('vzkit_scrape_cpu_seconds', this.#lastCpu);
      text.addPlain('vzkit_scrape_ves', this.#lastVes);
    }
    const emit = text
      ? (family: string, ve: MetricsVe, value: number, labels?: Readonly<Record<string, string>>) => text.add(family, ve.ctid, ve.name, value, labels)
      : () => {};
    const ctx = { host: this.rt.host, events: this.rt.events };
    for (const p of this.rt.plugins) {
      if (!p.metrics) continue;
      if (text) for (const f of p.metrics.families) text.declare(f);
      try {
        await p.metrics.collect(ctx, ves, emit);
      } catch (e) {
        // One plugin's failure costs its own families, not the scrape.
        this.rt.events.emit('warning', undefined, `metrics of ${p.name}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    const out: Collected = { ves, ...(text ? { text: text.text() } : {}) };
    if (render) {
      const c = process.cpuUsage(cpu0);
      this.#lastCpu = (c.user + c.system) / 1e6;
      this.#lastVes = ves.length;
    }
    return out;
  }
}
