/**
 * Metrics: the exposition text, and a pass over a running VE on FakeHost — the plugins'
 * families from the kernel's counters, the events of its sampling.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MetricsText, escapeLabel, formatValue } from '../src/index.js';
import { startTestDaemon, type TestDaemon } from './harness.js';

describe('the Prometheus text', () => {
  it('groups samples by family with HELP and TYPE, ctid and name first, labels escaped', () => {
    const t = new MetricsText();
    t.declare({ name: 'vzkit_a', help: 'A.', type: 'gauge' });
    t.declare({ name: 'vzkit_b_total', help: 'B.', type: 'counter' });
    t.declare({ name: 'vzkit_empty', help: 'never sampled', type: 'gauge' });
    t.add('vzkit_b_total', 101, 'web', 3, { dev: 'venet0' });
    t.add('vzkit_a', 101, 'web', 1.5);
    t.add('vzkit_a', 102, 'a "b"\\c\nd', Infinity, { resource: 'numproc' });
    t.add('vzkit_undeclared', 101, 'web', 1);
    expect(t.text()).toBe([
      '# HELP vzkit_a A.', '# TYPE vzkit_a gauge',
      'vzkit_a{ctid="101",name="web"} 1.5',
      'vzkit_a{ctid="102",name="a \\"b\\"\\\\c\\nd",resource="numproc"} +Inf',
      '# HELP vzkit_b_total B.', '# TYPE vzkit_b_total counter',
      'vzkit_b_total{ctid="101",name="web",dev="venet0"} 3', '',
    ].join('\n'));
    expect(escapeLabel('plain')).toBe('plain');
    expect(formatValue(NaN)).toBe('NaN');
  });
});

describe('a scrape on FakeHost', () => {
  let t: TestDaemon;
  afterEach(async () => t?.stop());

  it('exports the beancounters, CPU, traffic and state of running VEs, and samples the events', async () => {
    t = await startTestDaemon();
    for (const [id, name] of [[101, 'web1'], [102, 'db']] as const) {
      expect((await t.call('POST', '/v1/ves?wait=1', { ctid: id, ostemplate: 'busybox', name, ipadd: [`198.18.0.${id - 100}`], numproc: '50:50' })).status).toBe(200);
    }
    expect((await t.call('POST', '/v1/ves/101/start?wait=1')).status).toBe(200);
    const first = await t.call('GET', '/metrics');
    expect(first.status).toBe(200);
    expect(first.headers['content-type']).toContain('text/plain');
    expect(first.text).toContain('vzkit_ve_up{ctid="101",name="web1"} 1\n');
    expect(first.text).toContain('vzkit_ve_up{ctid="102",name="db"} 0\n');
    expect(first.text).toMatch(/vzkit_beancounter_held\{ctid="101",name="web1",resource="numproc"\} 1\n/);
    expect(first.text).toContain('vzkit_beancounter_limit{ctid="101",name="web1",resource="numproc"} 50\n');
    expect(first.text).toMatch(/# TYPE vzkit_cpu_seconds_total counter\nvzkit_cpu_seconds_total\{ctid="101",name="web1"\} /);
    expect(first.text).not.toContain('ctid="102",name="db",resource');

    // Traffic out of the VE is what its host end receives.
    const pid = (await t.daemon.rt.status(101)).pid!;
    t.fake.net.transmit({ pid }, 'venet0', 1500, 3);
    // A fork refused at the limit: the fail count grows, a sampling pass announces it.
    const events: unknown[][] = [];
    t.daemon.hub.subscribe((e) => events.push([e.type, e.ctid, ...e.args]));
    const group = (await t.daemon.inventory.load(101))!.state!.cgroup!;
    await t.daemon.metrics.sample();
    t.fake.cgroups.bumpFailcnt(group, 'pids', 4);
    t.fake.cgroups.setUsage(group, { oomKills: 2 });
    await t.daemon.metrics.sample();
    expect(events).toContainEqual(['ubc:failcnt', 101, 'numproc', 4]);
    expect(events).toContainEqual(['ubc:oom', 101, 2, 2]);
    // A read (vzubc -j through the API) says nothing on the stream: its runtime has no past.
    const failcnts = () => events.filter((e) => e[0] === 'ubc:failcnt').length;
    const before = failcnts();
    expect((await t.call('GET', '/v1/ves/101/beancounters')).status).toBe(200);
    expect(failcnts()).toBe(before);
    const second = await t.call('GET', '/metrics');
    expect(second.text).toContain('vzkit_beancounter_failcnt{ctid="101",name="web1",resource="numproc"} 4\n');
    expect(second.text).toContain('vzkit_net_transmit_bytes_total{ctid="101",name="web1",dev="venet0",host_dev="venet101"} 1500\n');
    expect(second.text).toContain('vzkit_net_transmit_packets_total{ctid="101",name="web1",dev="venet0",host_dev="venet101"} 3\n');
    expect(second.text).toMatch(/vzkit_scrape_ves 1\n/);
  });
});

