/**
 * devices: a VE may open only the devices of its own /dev (null, zero, full, random,
 * urandom, tty, console, ptmx, its ptys) and those DEVICES grants; it may make any node
 * (mknod, as package managers do) but not open it. Without this, a root with mknod could
 * make the host's disk a device node and mount it.
 */
import { defineKey, definePlugin, ValueError, vzError, type DeviceRule, type HookContext, type ValueType } from '@vzkit/core';

/** What every VE has: its /dev nodes and its pty instance, plus mknod of anything. */
export const DEFAULT_DEVICES: readonly DeviceRule[] = [
  { type: 'c', major: 1, minor: 3, access: 'rwm' }, // null
  { type: 'c', major: 1, minor: 5, access: 'rwm' }, // zero
  { type: 'c', major: 1, minor: 7, access: 'rwm' }, // full
  { type: 'c', major: 1, minor: 8, access: 'rwm' }, // random
  { type: 'c', major: 1, minor: 9, access: 'rwm' }, // urandom
  { type: 'c', major: 5, minor: 0, access: 'rwm' }, // tty
  { type: 'c', major: 5, minor: 1, access: 'rwm' }, // console
  { type: 'c', major: 5, minor: 2, access: 'rwm' }, // ptmx
  { type: 'c', major: 136, minor: '*', access: 'rwm' }, // pts
  { type: 'c', major: '*', minor: '*', access: 'm' },
  { type: 'b', major: '*', minor: '*', access: 'm' },
];

/** `c:10:200:rw` (OpenVZ: type:major:minor|all:access); access r, w, or rw. */
function parseGrant(raw: string): DeviceRule {
  const m = /^([bc]):(\d+):(\d+|all):([rw]+)$/.exec(raw.trim());
  if (!m) throw new ValueError(`'${raw}' is not b|c:MAJOR:MINOR|all:r|w|rw`);
  return { type: m[1] as 'b' | 'c', major: Number(m[2]), minor: m[3] === 'all' ? '*' : Number(m[3]), access: m[4]! };
}

const grantsType: ValueType<DeviceRule[]> = {
  arg: '"b|c:MAJOR:MINOR|all:r|w|rw ..."',
  parse: (raw) => raw.split(/\s+/).filter(Boolean).map(parseGrant),
  format: (v) => v.map((r) => `${r.type}:${r.major}:${r.minor === '*' ? 'all' : r.minor}:${r.access}`).join(' '),
};

export const DEVICES = defineKey<DeviceRule[]>({
  name: 'DEVICES',
  type: grantsType,
  description: 'Host devices the VE may use beyond its own /dev, e.g. c:10:200:rw (tun)',
  live: true,
  flag: 'devices',
});

/** The full allowlist of a VE: the defaults and its grants. */
export function allowList(grants: readonly DeviceRule[] | undefined): DeviceRule[] {
  return [...DEFAULT_DEVICES, ...(grants ?? [])];
}

async function apply(ctx: HookContext): Promise<void> {
  const allow = allowList(ctx.ve.config.get(DEVICES));
  try {
    await ctx.host.cgroups.set(ctx.ve.cgroup, { devices: { allow } });
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'UNSUPPORTED') {
      // Loud, not fatal: the VE runs, and the administrator knows what it may reach.
      ctx.log.warn(`${e instanceof Error ? e.message : String(e)}: the VE's root can open any device node it makes`);
      return;
    }
    throw vzError('DEVICES_SET_FAILED', `${ctx.ve.label}: device access: ${e instanceof Error ? e.message : String(e)}`, { exit: 3, cause: e });
  }
}

export const devicesPlugin = definePlugin({
  name: '@vzkit/devices',
  configKeys: [DEVICES],
  hooks: {
    async prepare(ctx) {
      await apply(ctx);
    },
    async update(ctx) {
      await apply(ctx);
    },
  },
});
