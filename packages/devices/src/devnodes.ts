/**
 * DEVNODES (`--devnodes net/tun:rw`) against the host: each name found below the host's
 * /dev, made inside the VE and allowed in its device controller, as vzctl does. The node takes the host
 * node's type, numbers and mode. A VE whose root is the host's root gets it by mknod; in
 * a user namespace the kernel refuses mknod of a device, so the host's node is bound
 * onto an empty file instead (as ns-fs does for /dev/null), and the host node's owner
 * and mode then decide who inside may open it.
 */
import { join } from 'node:path';
import type { HookContext } from '@vzkit/core';
import type { DevnodeGrant } from './config.js';
import { devicesError } from './errors.js';

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
      throw devicesError('SET_DEVICES', `${ctx.ve.label}: DEVNODES ${g.name}: ${host} is ${st ? 'not a device node' : 'missing'} on this host`, {
        about: ctx.ve.label,
        path: host, hint: 'name a device node below the host\'s /dev, e.g. net/tun',
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

