/**
 * Subordinate id ranges of the host's users (/etc/subuid, /etc/subgid, subuid(5)): ids
 * that rootless containers of those users map. A VE's range must not meet another
 * user's; root's own ranges are vzkit's to use, as LXC uses them for root's containers.
 */
import type { Host } from '@vzkit/core';
import type { IdRange } from './ranges.js';

export interface SubIdRange extends IdRange {
  /** The user the range belongs to (a name or a uid). */
  owner: string;
}

/** `owner:base:count` lines; comments and malformed lines are skipped. */
export function parseSubIds(text: string): SubIdRange[] {
  const out: SubIdRange[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*([^:#\s][^:]*):(\d+):(\d+)\s*$/.exec(line);
    if (m) out.push({ owner: m[1]!, base: Number(m[2]), count: Number(m[3]) });
  }
  return out;
}

/** The ranges of users other than root in `file` (missing file: none). */
export async function foreignSubIds(host: Host, file: '/etc/subuid' | '/etc/subgid'): Promise<SubIdRange[]> {
  if (!(await host.fs.exists(file))) return [];
  return parseSubIds(await host.fs.readFile(file)).filter((r) => r.owner !== 'root' && r.owner !== '0');
}
