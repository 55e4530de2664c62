/**
 * The keys of devices, as vzctl has them: DEVICES (`--devices c:10:200:rw`, host devices
 * by number) and DEVNODES (`--devnodes net/tun:rw`, host nodes by name below /dev, made
 * inside the VE as well). Both change live.
 */
import { defineKey, ValueError, type DeviceRule, type EditFlag, type ValueType } from '@vzkit/core';

/** `c:10:200:rw` (OpenVZ: type:major:minor|all:access); access r, w, or rw. */
function parseDeviceGrant(raw: string): DeviceRule {
  const m = /^([bc]):(\d+):(\d+|all):([rw]+)$/.exec(raw.trim());
  if (!m) throw new ValueError(`'${raw}' is not b|c:MAJOR:MINOR|all:r|w|rw`);
  return { type: m[1] as 'b' | 'c', major: Number(m[2]), minor: m[3] === 'all' ? '*' : Number(m[3]), access: m[4]! };
}

const deviceGrantsType: ValueType<DeviceRule[]> = {
  arg: '"b|c:MAJOR:MINOR|all:r|w|rw ..."',
  parse: (raw) => raw.split(/\s+/).filter(Boolean).map(parseDeviceGrant),
  format: (v) => v.map((r) => `${r.type}:${r.major}:${r.minor === '*' ? 'all' : r.minor}:${r.access}`).join(' '),
};

export const DEVICES = defineKey<DeviceRule[]>({
  name: 'DEVICES',
  type: deviceGrantsType,
  description: 'Host devices the VE may use beyond its own /dev, e.g. c:10:200:rw (tun)',
  live: true,
  flag: 'devices',
});

export type DevnodeAccess = 'r' | 'w' | 'rw' | 'none';

/** One `name:access` entry: a path below /dev, and r, w, rw or none. */
export interface DevnodeGrant {
  name: string;
  access: DevnodeAccess;
}

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

