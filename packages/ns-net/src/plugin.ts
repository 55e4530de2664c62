/**
 * ns-net: the VE's own network stack. A network namespace with loopback up; venet
 * (routed addresses on `venet0`, IP_ADDRESS, `--ipadd`/`--ipdel`, live) and veth
 * interfaces (NETIF, bridged, live); the guest's resolv.conf from NAMESERVER and
 * SEARCHDOMAIN. Everything the host gets is recorded first and removed at stop, also
 * after a killed vzctl. NETFILTER/IPTABLES and the bridge and tunnel features say what
 * the VE's own namespace gives it (plan.ts, features.ts).
 */
import { definePlugin, skipIfRefused, vzError, type ConfigChange, type HookContext, type ListField } from '@vzkit/core';
import { netError } from './errors.js';
import { formatVeAddress, type VeAddress } from './addresses.js';
import { IP_ADDRESS, IPTABLES, NAMESERVER, NEIGHBOUR_DEVS, NETFILTER, NETIF, SEARCHDOMAIN } from './config.js';
import { NET_FEATURES } from './features.js';
import { netfilterLevel, netfilterOp, unenforced } from './plan.js';
import { MAX_IFNAME, resolveNetif, type NetIf } from './netif.js';
import { writeResolvConf } from './resolv.js';
import { NET_METRICS } from './metrics.js';
import {
  addAddresses, addNetif, ensureForwarding, ensureVenet, neighbourDevs, removeAddresses, removeNetif, unwire,
  type NetCtx, type NetState,
} from './wiring.js';

const ipField: ListField = {
  name: 'ip',
  header: 'IP_ADDR',
  width: -15,
  // A list: vzlist shows the first address in the middle of a row and all of them last.
  get: (row) => (row.config.get(IP_ADDRESS) ?? []).map((a) => a.ip),
};

/** vzlist's NAMESERVER and SEARCHDOMAIN: lists like IP_ADDR (`inherit` as configured). */
const dnsFields: ListField[] = [
  { name: 'nameserver', header: 'NAMESERVER', width: -15, get: (row) => row.config.get(NAMESERVER) },
  { name: 'searchdomain', header: 'SEARCHDOMAIN', width: -15, get: (row) => row.config.get(SEARCHDOMAIN) },
];

const netfilterField: ListField = {
  name: 'netfilter',
  header: 'NETFILTER',
  width: -9,
  // As vzlist shows it: the level configured (enforced or not: see plan.ts).
  get: (row) => netfilterLevel(row.config),
};

function checkNetifNames(ctx: HookContext<NetState>, netifs: readonly NetIf[]): void {
  for (const n of netifs) {
    const host = resolveNetif(ctx.ve.ctid, n).hostIfname;
    if (host.length > MAX_IFNAME) {
      throw netError('VETH_ERROR', `${ctx.ve.label}: the host device name ${host} for ${n.ifname} is longer than ${MAX_IFNAME} characters`, {
        about: ctx.ve.label,
        hint: `give one: --netif_add ${n.ifname},,NAME`,
      });
    }
  }
}

function pidOf(ctx: NetCtx): number {
  const pid = ctx.ve.initPid;
  if (pid === undefined) throw vzError('VE_NOT_RUNNING', `${ctx.ve.label} is not running`, { about: ctx.ve.label });
  return pid;
}

async function applyDns(ctx: NetCtx): Promise<void> {
  const servers = ctx.ve.config.get(NAMESERVER);
  const search = ctx.ve.config.get(SEARCHDOMAIN);
  if (!servers && !search) return;
  await skipIfRefused(ctx, 'NAMESERVER and SEARCHDOMAIN were not written into it', () => writeResolvConf(ctx, servers, search));
}

async function wireAddresses(ctx: NetCtx, pid: number, addrs: readonly VeAddress[]): Promise<void> {
  if (!addrs.length) return;
  await ensureForwarding(ctx, new Set(addrs.map((a) => a.family)));
  await addAddresses(ctx, pid, addrs, await neighbourDevs(ctx, ctx.ve.config.get(NEIGHBOUR_DEVS)));
}

async function updateAddresses(ctx: NetCtx, c: ConfigChange<VeAddress[]>): Promise<void> {
  const before = c.before ?? [];
  const after = c.after ?? [];
  const same = (a: VeAddress, b: VeAddress) => formatVeAddress(a) === formatVeAddress(b);
  const gone = before.filter((b) => !after.some((a) => same(a, b)));
  const added = after.filter((a) => !before.some((b) => same(a, b)));
  const pid = pidOf(ctx);
  await removeAddresses(ctx, pid, gone);
  await wireAddresses(ctx, pid, added);
}

async function updateNetifs(ctx: NetCtx, c: ConfigChange<NetIf[]>): Promise<void> {
  const before = c.before ?? [];
  const after = c.after ?? [];
  const key = (n: NetIf) => JSON.stringify(resolveNetif(ctx.ve.ctid, n));
  const pid = pidOf(ctx);
  for (const n of before.filter((b) => !after.some((a) => key(a) === key(b)))) await removeNetif(ctx, n);
  for (const n of after.filter((a) => !before.some((b) => key(a) === key(b)))) await addNetif(ctx, pid, n);
}

/** The ns-net plugin: network namespace, venet, veth, DNS; the `ip` vzlist column. */
export const nsNetPlugin = definePlugin<NetState>({
  name: '@vzkit/ns-net',
  configKeys: [IP_ADDRESS, NETIF, NAMESERVER, SEARCHDOMAIN, NEIGHBOUR_DEVS, NETFILTER, IPTABLES],
  listFields: [ipField, ...dnsFields, netfilterField],
  metrics: NET_METRICS,
  features: NET_FEATURES,
  hooks: {
    // Addresses and host device names taken by running VEs are refused where they are
    // wired (attach, update), from the kernel's own tables, before anything is made.
    validate(ctx) {
      checkNetifNames(ctx, ctx.ve.config.get(NETIF) ?? []);
    },

    async prepare(ctx, plan) {
      const netfilter = unenforced(ctx.ve.config);
      if (netfilter) ctx.log.warn(netfilter);
      // Also in every exec and enter: a filter cannot be read back from init.
      const filter = netfilterOp(ctx.ve.config);
      if (filter) plan.forEveryProcess(filter);
      plan.namespaces.add('net');
      // A new namespace has lo down; init brings it up (no netlink request of ours).
      plan.add('early', { op: 'linkUp', name: 'lo' });
      plan.writableProcSys.add('net');
      await applyDns(ctx);
    },

    async attach(ctx, pid) {
      // As on OpenVZ, every VE has venet0, with or without addresses: the guest's network
      // set-up (ifupdown's `auto venet0`) must find it after `--ipdel all` and a restart.
      await ensureVenet(ctx, pid);
      await wireAddresses(ctx, pid, ctx.ve.config.get(IP_ADDRESS) ?? []);
      for (const n of ctx.ve.config.get(NETIF) ?? []) await addNetif(ctx, pid, n);
    },

    async update(ctx, changes) {
      const addresses = changes.of(IP_ADDRESS);
      if (addresses) await updateAddresses(ctx, addresses);
      const netifs = changes.of(NETIF);
      if (netifs) await updateNetifs(ctx, netifs);
      if (changes.has(NAMESERVER, SEARCHDOMAIN)) await applyDns(ctx);
    },

    async cleanup(ctx) {
      await unwire(ctx);
    },
  },
});
