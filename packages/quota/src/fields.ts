/**
 * vzlist columns of the disk quota, as vzlist names them: `diskspace` (usage, 1 KiB
 * blocks), `diskspace.s` and `.h` (soft and hard limit), and the same for `diskinodes`.
 * Usage shows for running VEs only (`-` otherwise, and for 0, as vzlist prints it);
 * limits come from the config. In JSON the usage column carries
 * `{ usage, softlimit, hardlimit }`, vzlist -j's shape.
 */
import type { ListField, ListRow } from '@vzkit/core';
import { quotaLimits, type SoftHard } from './config.js';

type Resource = 'diskspace' | 'diskinodes';
const HEADER: Record<Resource, string> = { diskspace: 'DSPACE', diskinodes: 'DINODES' };

function limitOf(row: ListRow, resource: Resource): SoftHard | undefined {
  const l = quotaLimits(row.config);
  return resource === 'diskspace' ? l.space : l.inodes;
}

function usageOf(row: ListRow, resource: Resource): number | undefined {
  return row.status === 'running' ? row.stats.get(resource)?.held : undefined;
}

function field(resource: Resource, part: 'usage' | 'soft' | 'hard'): ListField {
  const suffix = part === 'usage' ? '' : part === 'soft' ? '.s' : '.h';
  const value = (row: ListRow): number | undefined => {
    if (part === 'usage') return usageOf(row, resource);
    const l = limitOf(row, resource);
    return part === 'soft' ? l?.soft : l?.hard;
  };
  return {
    name: `${resource}${suffix}`,
    header: `${HEADER[resource]}${suffix.toUpperCase()}`,
    width: 10,
    ...(part === 'usage' ? { needsStats: [resource] } : {}),
    get(row) {
      if (part !== 'usage') return value(row) ?? null;
      const l = limitOf(row, resource);
      return { usage: value(row) ?? null, softlimit: l?.soft ?? null, hardlimit: l?.hard ?? null };
    },
    text(row) {
      const v = value(row);
      return v === undefined || (part === 'usage' && v === 0) ? '-' : String(v);
    },
  };
}

export const QUOTA_FIELDS: readonly ListField[] = (['diskspace', 'diskinodes'] as const).flatMap((r) => [field(r, 'usage'), field(r, 'soft'), field(r, 'hard')]);
