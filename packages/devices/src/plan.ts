/**
 * What a VE may open, as the device controller and the launcher are asked for it: the
 * allowlist (its own /dev, DEVICES, DEVNODES) and the op that puts each DEVNODES node in
 * place. Pure functions of the config and of the host nodes devnodes.ts found.
 */
import { join } from 'node:path';
import type { ChildOp, DeviceRule } from '@vzkit/core';
import type { Devnode } from './devnodes.js';

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

/** The full allowlist of a VE: the defaults, its grants by number and its device nodes. */
export function allowList(grants: readonly DeviceRule[] | undefined, nodes: readonly Pick<Devnode, 'kind' | 'major' | 'minor' | 'access'>[] = []): DeviceRule[] {
  return [...DEFAULT_DEVICES, ...(grants ?? []), ...nodes.map(devnodeRule).filter((r): r is DeviceRule => r !== undefined)];
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
