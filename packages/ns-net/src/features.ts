/**
 * The network features of FEATURES (bridge, sit, ipip, ipgre). On OpenVZ the kernel gave
 * each VE the device types its config allowed; here a VE's root holds CAP_NET_ADMIN in
 * its own network namespace and makes every virtual device type the kernel has, so a
 * feature can be had exactly when the host kernel has its driver.
 */
import type { FeatureDecl, HookContext } from '@vzkit/core';

/** Device types a root with CAP_NET_ADMIN in its own network namespace makes there, and the kernel option that provides each. */
const NET_DEVICES: ReadonlyArray<[name: string, config: string, what: string]> = [
  ['bridge', 'CONFIG_BRIDGE', 'bridges'],
  ['sit', 'CONFIG_IPV6_SIT', 'sit (IPv6-in-IPv4) tunnels'],
  ['ipip', 'CONFIG_NET_IPIP', 'ipip tunnels'],
  ['ipgre', 'CONFIG_NET_IPGRE', 'GRE tunnels'],
];

export const NET_FEATURES: readonly FeatureDecl[] = NET_DEVICES.map(([name, option, what]) => ({
  name,
  description: `${what} in the VE's own network namespace (always there when the host kernel has them)`,
  async check(ctx: HookContext, on: boolean) {
    if (!on) return `the VE's root makes ${what} in its own network namespace, where it holds CAP_NET_ADMIN; nothing withholds them`;
    const config = await ctx.host.system.kernelConfig();
    return config && !config.has(option) ? `the host kernel has no ${name} driver (${option})` : undefined;
  },
}));
