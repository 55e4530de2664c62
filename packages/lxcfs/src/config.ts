/**
 * MEMINFO (`--meminfo none|pages:N|privvmpages:N`): what /proc/meminfo shows inside. On
 * OpenVZ's vswap kernels /proc/meminfo shows the VE's RAM and swap limits whatever
 * MEMINFO says; vzkit's VEs are such VEs (PHYSPAGES/SWAPPAGES are limits in bytes), and
 * lxcfs gives exactly that view. So `pages:N` and `privvmpages:N` (OpenVZ's default is
 * privvmpages:1) are taken as OpenVZ's vswap kernels take them: the limits are shown.
 * `none` is honoured: the host's own /proc/meminfo.
 */
import { defineKey, ValueError, type ValueType } from '@vzkit/core';

export type Meminfo = { mode: 'none' } | { mode: 'pages' | 'privvmpages'; value: number };

const meminfoType: ValueType<Meminfo> = {
  arg: 'none|pages:N|privvmpages:N',
  parse(raw) {
    const s = raw.trim();
    if (s === 'none') return { mode: 'none' };
    const m = /^(pages|privvmpages):(\d+)$/.exec(s);
    if (!m || Number(m[2]) < 1 || !Number.isSafeInteger(Number(m[2]))) throw new ValueError(`'${raw}' is not none, pages:N or privvmpages:N (N at least 1)`);
    return { mode: m[1] as 'pages' | 'privvmpages', value: Number(m[2]) };
  },
  format: (v) => (v.mode === 'none' ? 'none' : `${v.mode}:${v.value}`),
};

export const MEMINFO = defineKey<Meminfo>({
  name: 'MEMINFO',
  flag: 'meminfo',
  type: meminfoType,
  live: true,
  description: '/proc/meminfo inside: none = the host\'s; pages:N or privvmpages:N = the VE\'s RAM and swap limits (as OpenVZ\'s vswap kernels show them)',
});

/** Whether the VE's /proc/meminfo is lxcfs's view (anything but none). */
export function meminfoVirtual(m: Meminfo | undefined): boolean {
  return m?.mode !== 'none';
}
