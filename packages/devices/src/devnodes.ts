/**
 * DEVNODES (`--devnodes net/tun:rw`): a host device by its name under /dev, made inside
 * the VE and allowed in its device controller, as vzctl does. The node takes the host
 * node's type, numbers and mode. A VE whose root is the host's root gets it by mknod; in
 * a user namespace the kernel refuses mknod of a device, so the host's node is bound
 * onto an empty file instead (as ns-fs does for /dev/null), and the host node's owner
 * and mode then decide who inside may open it.
 */
import { join } from 'node:path';
import { defineKey, ValueError, vzError, type ChildOp, type DeviceRule, type EditFlag, type HookContext, type ValueType } from '@vzkit/core';

export type DevnodeAccess = 'r' | 'w' | 'rw' | 'none';

/** One `name:access` entry: a path below /dev, and r, w, rw or none. */
export interface DevnodeGrant {
  name: string;
  access: DevnodeAccess;
}

/** A grant resolved against the host's node. */
export interface Devnode extends DevnodeGrant {
  kind: 'c' | 'b';
  major: number;
  minor: number;
  mode: number;
  /** The node's path on the host, `/dev/NAME`. */
  host: string;
  /** Permission bits of the host node for others (an unprivileged VE's root is one of them). */
  otherAccess: string;
}

/** vzctl's exit for device errors (VZ_SET_DEVICES). */
const SET_DEVICES_EXIT = 86;

function parseGrant(raw: string): DevnodeGrant {
  const m = /^([A-Za-z0-9._+-]+(?:\/[A-Za-z0-9._+-]+)*):([a-z]+)$/.exec(raw.trim());
  if (!m) throw new ValueError(`'${raw}' is not NAME:r|w|rw|none (NAME a device below /dev)`);
  const [, name, perm] = m as unknown as [string, string, string];
  if (name.split('/').some((s) => s === '.' || s === '..')) throw new ValueError(`'${raw}': the name may not contain . or .. components`);
  if (perm === 'none') return { name, access: 'none' };
  if (perm.includes('q')) throw new ValueError(`'${raw}': q (disk quota on the device) is not offered; quota inside a VE is QUOTAUGIDLIMIT's`);
  if (!/^(r|w|rw|wr)$/.test(perm)) throw new ValueError(`'${raw}' is not NAME:r|w|rw|none`);
  return { name, access: perm === 'wr' ? 'rw' : (perm as DevnodeAccess) };
}

const grantsType: ValueType<DevnodeGrant[]> = {
  arg: '"NAME:r|w|rw|none ..."',
  parse: (raw) => merge([], raw.split(/\s+/).filter(Boolean).map(parseGrant)),
  format: (v) => v.map((g) => `${g.name}:${g.access}`).join(' '),
};

/** Later entries replace earlier ones of the same name, as repeated --devnodes do in vzctl. */
function merge(current: readonly DevnodeGrant[], added: readonly DevnodeGrant[]): DevnodeGrant[] {
  const out = [...current];
  for (const g of added) {
    const i = out.findIndex((x) => x.name === g.name);
    if (i >= 0) out[i] = g;
    else out.push(g);
  }
  return out;
}

const devnodesEdit: EditFlag<DevnodeGrant[]> = {
  flag: 'devnodes',
  arg: 'NAME:r|w|rw|none',
  description: 'Make /dev/NAME of the host inside the VE and allow it (none: take the access away), e.g. net/tun:rw',
  apply: (current, arg) => merge(current ?? [], arg.split(/[\s,]+/).filter(Boolean).map(parseGrant)),
};

export const DEVNODES = defineKey<DevnodeGrant[]>({
  name: 'DEVNODES',
  type: grantsType,
  description: 'Host device nodes made inside the VE and allowed, e.g. "net/tun:rw"',
  live: true,
  editFlags: [devnodesEdit],
});

/** lstat that follows symlinks below /dev (`/dev/cdrom` -> `sr0`), as vzctl's stat(2) does. */
async function statNode(ctx: HookContext, path: string) {
  let p = path;
  for (let hops = 0; hops < 8; hops++) {
    const st = await ctx.host.fs.stat(p);
    if (st?.type !== 'symlink') return st;
    const target = await ctx.host.fs.readlink(p);
    p = target.startsWith('/') ? target : join(p, '..', target);
  }
  return undefined;
}

/** Each grant with the host node it names; a name that is no device on the host fails (exit 86), naming it. */
export async function resolveDevnodes(ctx: HookContext, grants: readonly DevnodeGrant[]): Promise<Devnode[]> {
  const out: Devnode[] = [];
  for (const g of grants) {
    const host = join('/dev', g.name);
    const st = await statNode(ctx, host);
    if (!st || (st.type !== 'char' && st.type !== 'block') || !st.rdev) {
      throw vzError('SET_DEVICES', `${ctx.ve.label}: DEVNODES ${g.name}: ${host} is ${st ? 'not a device node' : 'missing'} on this host`, {
        about: ctx.ve.label,
        exit: SET_DEVICES_EXIT, path: host, hint: 'name a device node below the host\'s /dev, e.g. net/tun',
      });
    }
    const other = st.mode & 0o7;
    out.push({
      ...g, host, kind: st.type === 'char' ? 'c' : 'b', major: st.rdev.major, minor: st.rdev.minor, mode: st.mode & 0o7777,
      otherAccess: `${other & 4 ? 'r' : ''}${other & 2 ? 'w' : ''}`,
    });
  }
  return out;
}

/** The device-controller rule of a node: read and/or write, never mknod (the node is made for the VE). */
export function devnodeRule(n: Pick<Devnode, 'kind' | 'major' | 'minor' | 'access'>): DeviceRule | undefined {
  return n.access === 'none' ? undefined : { type: n.kind, major: n.major, minor: n.minor, access: n.access };
}

/**
 * The op that puts the node in place: under `dev` (VE_ROOT/dev before the pivot, /dev in
 * a running VE); in a user namespace a bind of the host's node.
 */
export function devnodeOp(n: Devnode, dev: string, userns: boolean): ChildOp {
  const op: ChildOp = { op: 'devnode', path: join(dev, n.name), kind: n.kind, major: n.major, minor: n.minor, mode: n.mode };
  return userns ? { ...op, source: n.host } : op;
}
