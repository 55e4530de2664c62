/**
 * Traffic per VE interface as Prometheus families, from the host ends of its pairs
 * (venet<CTID>, veth<CTID>.N): one link-counter dump of the host's namespace serves
 * every VE. What the host end receives the VE sent, so the directions are swapped to
 * the VE's view; `dev` is the interface's name inside the VE.
 */
import { perConfig, type MetricsVe, type PluginMetrics } from '@vzkit/core';
import { NETIF } from './config.js';
import { resolveNetif } from './netif.js';
import { VENET, venetHostName, type NetState } from './wiring.js';

/** Host end → name inside, per config object (the daemon keeps it while unchanged). */
const insideNames = perConfig((config, ctid: number) => {
  const names = new Map([[venetHostName(ctid), VENET]]);
  for (const n of config.get(NETIF) ?? []) names.set(resolveNetif(ctid, n).hostIfname, n.ifname);
  return names;
});

const namesOf = (ve: MetricsVe): Map<string, string> => insideNames(ve.config, ve.ctid);

export const NET_METRICS: PluginMetrics = {
  families: [
    { name: 'vzkit_net_receive_bytes_total', help: 'Bytes the VE received on the interface.', type: 'counter' },
    { name: 'vzkit_net_transmit_bytes_total', help: 'Bytes the VE sent on the interface.', type: 'counter' },
    { name: 'vzkit_net_receive_packets_total', help: 'Packets the VE received on the interface.', type: 'counter' },
    { name: 'vzkit_net_transmit_packets_total', help: 'Packets the VE sent on the interface.', type: 'counter' },
    { name: 'vzkit_net_transmit_dropped_total', help: 'Packets the VE sent that the host end dropped.', type: 'counter' },
  ],
  async collect(ctx, ves, emit) {
    const devs = (ve: MetricsVe) => (ve.pluginStates['@vzkit/ns-net'] as NetState | undefined)?.devs ?? [];
    if (!ves.some((ve) => devs(ve).length > 0)) return;
    const counters = await ctx.host.net.linkStats('host');
    for (const ve of ves) {
      const names = namesOf(ve);
      for (const host of devs(ve)) {
        const c = counters.get(host);
        if (!c) continue;
        const labels = { dev: names.get(host) ?? host, host_dev: host };
        emit('vzkit_net_receive_bytes_total', ve, c.txBytes, labels);
        emit('vzkit_net_transmit_bytes_total', ve, c.rxBytes, labels);
        emit('vzkit_net_receive_packets_total', ve, c.txPackets, labels);
        emit('vzkit_net_transmit_packets_total', ve, c.rxPackets, labels);
        emit('vzkit_net_transmit_dropped_total', ve, c.rxDropped, labels);
      }
    }
  },
};
