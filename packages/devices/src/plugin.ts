/**
 * devices: a VE may open only the devices of its own /dev (null, zero, full, random,
 * urandom, tty, console, ptmx, its ptys), those DEVICES grants by number and those
 * DEVNODES names (made inside as well); it may make any node (mknod, as package managers
 * do) but not open it. Without this, a root with mknod could make the host's disk a
 * device node and mount it. OpenVZ's `ppp` feature is a DEVNODES grant of /dev/ppp.
 */
import { definePlugin, featureSetting, type FeatureDecl, type HookContext } from '@vzkit/core';
import { join } from 'node:path';
import { DEVICES, DEVNODES, type DevnodeGrant } from './config.js';
import { resolveDevnodes, type Devnode } from './devnodes.js';
import { allowList, devnodeOp } from './plan.js';
import { devicesError } from './errors.js';

/** DEVNODES, with /dev/ppp when the `ppp` feature is on (unless DEVNODES names ppp itself). */
function grantsOf(ctx: HookContext): DevnodeGrant[] {
  const grants = ctx.ve.config.get(DEVNODES) ?? [];
  if (featureSetting(ctx.ve.config, 'ppp') && !grants.some((g) => g.name === 'ppp')) return [...grants, { name: 'ppp', access: 'rw' }];
  return grants;
}

async function setAllowList(ctx: HookContext, nodes: readonly Devnode[]): Promise<void> {
  const allow = allowList(ctx.ve.config.get(DEVICES), nodes);
  try {
    await ctx.host.cgroups.set(ctx.ve.cgroup, { devices: { allow } });
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'UNSUPPORTED') {
      // Loud, not fatal: the VE runs, and the administrator knows what it may reach.
      ctx.log.warn(`${e instanceof Error ? e.message : String(e)}: the VE's root can open any device node it makes`);
      return;
    }
    throw devicesError('DEVICES_SET_FAILED', `${ctx.ve.label}: device access: ${e instanceof Error ? e.message : String(e)}`, { about: ctx.ve.label, cause: e });
  }
}

/**
 * In a user namespace the VE's root is "others" for a host node owned by root: the node
 * is bound in with the host's mode, so one the host keeps to root stays closed inside.
 */
function warnUnreachable(ctx: HookContext, nodes: readonly Devnode[]): void {
  if (!ctx.ve.idmap) return;
  for (const n of nodes) {
    if (n.access === 'none' || [...n.access].every((a) => n.otherAccess.includes(a))) continue;
    ctx.log.warn(`DEVNODES ${n.name}: ${n.host} has mode ${n.mode.toString(8).padStart(4, '0')} on the host; an unprivileged VE sees the host's node and its root cannot ${n.access === 'r' ? 'read' : n.access === 'w' ? 'write' : 'read and write'} it (give it mode 0666 on the host, as udev does for net/tun)`);
  }
}

const PPP: FeatureDecl = {
  name: 'ppp',
  description: 'PPP inside the VE: /dev/ppp made and allowed (DEVNODES ppp:rw)',
  async check(ctx, on) {
    if (!on) return undefined;
    const config = await ctx.host.system.kernelConfig();
    if (config && !config.has('CONFIG_PPP')) return 'the host kernel has no PPP driver (CONFIG_PPP)';
    if ((await ctx.host.fs.stat('/dev/ppp'))?.type !== 'char') return 'the host has no /dev/ppp (load ppp_generic: modprobe ppp_generic)';
    return undefined;
  },
};

export const devicesPlugin = definePlugin({
  name: '@vzkit/devices',
  // Its device nodes go into the /dev that ns-fs builds.
  after: ['@vzkit/ns-fs'],
  configKeys: [DEVICES, DEVNODES],
  features: [PPP],
  hooks: {
    async prepare(ctx, plan) {
      const nodes = await resolveDevnodes(ctx, grantsOf(ctx));
      await setAllowList(ctx, nodes);
      warnUnreachable(ctx, nodes);
      const userns = ctx.ve.idmap !== undefined;
      const dev = join(ctx.ve.paths.root, 'dev');
      // After every prepare: the nodes go onto the VE's own /dev, which ns-fs mounts in this stage.
      plan.finalize((p) => {
        if (p.namespaces.has('mnt')) p.add('rootfs', ...nodes.filter((n) => n.access !== 'none').map((n) => devnodeOp(n, dev, userns)));
      });
    },

    async update(ctx, changes) {
      const nodes = await resolveDevnodes(ctx, grantsOf(ctx));
      await setAllowList(ctx, nodes);
      const change = changes.of(DEVNODES);
      const pid = ctx.ve.initPid;
      if (!change || pid === undefined) return;
      // Nodes newly allowed appear in the running VE's /dev (existing ones are left as they are).
      const before = new Set((change.before ?? []).filter((g) => g.access !== 'none').map((g) => g.name));
      const added = nodes.filter((n) => n.access !== 'none' && !before.has(n.name));
      if (!added.length) return;
      warnUnreachable(ctx, added);
      const userns = ctx.ve.idmap !== undefined;
      try {
        await ctx.host.launcher.inject({ pid, namespaces: userns ? ['user', 'mnt'] : ['mnt'], ops: added.map((n) => devnodeOp(n, '/dev', userns)) });
      } catch (e) {
        throw devicesError('SET_DEVICES', `${ctx.ve.label}: DEVNODES: ${e instanceof Error ? e.message : String(e)}`, { about: ctx.ve.label, cause: e });
      }
    },
  },
});
