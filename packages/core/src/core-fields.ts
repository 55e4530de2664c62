/** vzlist columns about the VE itself (identity, paths, status, process count, uptime). */
import { BOOTORDER, DESCRIPTION, DISABLED, NAME, ONBOOT, ORIGIN_SAMPLE, OSTEMPLATE, VE_PRIVATE, VE_ROOT } from './core-keys.js';
import type { ConfigKey, ListField, ListRow } from './plugin.js';
import { substituteCtid } from './paths.js';

function keyField<T>(name: string, header: string, width: number, key: ConfigKey<T>, show?: (v: T) => string): ListField {
  return {
    name, header, width,
    get: (r) => {
      const v = r.config.get(key);
      if (v === undefined) return undefined;
      return show ? show(v) : (v as unknown as string);
    },
  };
}

const yesNoText = (v: boolean) => (v ? 'yes' : 'no');

export const CORE_FIELDS: readonly ListField[] = [
  { name: 'ctid', header: 'CTID', width: 10, get: (r) => r.ctid },
  { name: 'veid', header: 'CTID', width: 10, get: (r) => r.ctid },
  { name: 'vpsid', header: 'CTID', width: 10, get: (r) => r.ctid },
  keyField('name', 'NAME', -32, NAME),
  { name: 'smart_name', header: 'SMARTNAME', width: 10, get: (r) => r.config.get(NAME) ?? String(r.ctid) },
  keyField('description', 'DESCRIPTION', -32, DESCRIPTION),
  keyField('ostemplate', 'OSTEMPLATE', -32, OSTEMPLATE),
  keyField('origin_sample', 'ORIGIN_SAMPLE', 32, ORIGIN_SAMPLE),
  { name: 'private', header: 'PRIVATE', width: -32, get: (r) => pathOf(r, VE_PRIVATE) },
  { name: 'root', header: 'ROOT', width: -32, get: (r) => pathOf(r, VE_ROOT) },
  { name: 'status', header: 'STATUS', width: -9, get: (r) => r.status },
  keyField('onboot', 'ONBOOT', 6, ONBOOT, yesNoText),
  keyField('bootorder', 'BOOTORDER', 10, BOOTORDER, String),
  keyField('disabled', 'DISABL', 6, DISABLED, yesNoText),
  {
    name: 'numproc', header: 'NPROC', width: 10, needsStats: ['numproc'],
    get: (r) => (r.status === 'running' ? (r.stats.get('numproc')?.held ?? null) : null),
  },
  {
    name: 'uptime', header: 'UPTIME', width: 15, needsStats: ['uptime'],
    get: (r) => (r.status === 'running' ? (r.stats.get('uptime')?.held ?? null) : null),
    text: (r) => {
      const s = r.status === 'running' ? r.stats.get('uptime')?.held : undefined;
      return s === undefined ? undefined : formatUptime(s);
    },
  },
];

/** vzlist's uptime: `DDDdHHh:MMm:SSs` (`012d03h:04m:05s`), whole seconds. */
export function formatUptime(seconds: number): string {
  const t = Math.floor(seconds);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${String(Math.floor(t / 86400)).padStart(3, '0')}d${two(Math.floor(t / 3600) % 24)}h:${two(Math.floor(t / 60) % 60)}m:${two(t % 60)}s`;
}

function pathOf(r: ListRow, key: ConfigKey<string>): string | undefined {
  const v = r.config.get(key);
  return v === undefined ? undefined : substituteCtid(v, r.ctid);
}
