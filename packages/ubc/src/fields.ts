/**
 * vzlist columns of the beancounters, named as vzlist names them: held (`kmemsize`,
 * header KMEMSIZE) and `.m .b .l .f` for maxheld, barrier, limit and failcnt. In JSON a
 * held column carries the whole counter. numproc's held column is the core's NPROC.
 */
import { UNLIMITED, type ListField, type ListRow, type StatRow } from '@vzkit/core';
import { ubcKey } from './config.js';
import { UBC_PARAMS } from './params.js';

const HEADERS: Record<string, string> = {
  kmemsize: 'KMEMSIZE', lockedpages: 'LOCKEDP', privvmpages: 'PRIVVMP', shmpages: 'SHMP', numproc: 'NPROC',
  physpages: 'PHYSP', vmguarpages: 'VMGUARP', oomguarpages: 'OOMGUARP', numtcpsock: 'NTCPSOCK', numflock: 'NFLOCK',
  numpty: 'NPTY', numsiginfo: 'NSIGINFO', tcpsndbuf: 'TCPSNDB', tcprcvbuf: 'TCPRCVB', othersockbuf: 'OTHSOCKB',
  dgramrcvbuf: 'DGRAMRB', numothersock: 'NOTHSOCK', dcachesize: 'DCACHESZ', numfile: 'NFILE', numiptent: 'NIPTENT',
  swappages: 'SWAPP',
};

type Part = 'held' | 'maxheld' | 'barrier' | 'limit' | 'failcnt';

/** A limit as vzlist shows it (JSON: null for unlimited, as vzlist -j). */
const finiteOrNull = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? null : n);

/** The running VE's row (limits in force included), else the configured limits. */
function counter(row: ListRow, name: string): StatRow {
  const live = row.status === 'running' ? row.stats.get(name) : undefined;
  if (live?.status !== undefined) return live;
  const configured = row.config.get(ubcKey(name));
  return { resource: name, barrier: configured?.barrier ?? UNLIMITED, limit: configured?.limit ?? UNLIMITED };
}

function field(name: string, part: Part, suffix: string): ListField {
  return {
    name: `${name}${suffix.toLowerCase()}`,
    header: `${HEADERS[name]}${suffix}`,
    width: 10,
    // Limits too: the row has them as the VE has them.
    needsStats: [name],
    get(row) {
      const c = counter(row, name);
      if (part === 'held' && suffix === '') {
        return { held: c.held ?? null, maxheld: c.maxheld ?? null, barrier: finiteOrNull(c.barrier), limit: finiteOrNull(c.limit), failcnt: c.failcnt ?? null };
      }
      const v = c[part];
      return v === undefined ? null : Number.isFinite(v) ? v : null;
    },
    text(row) {
      const v = counter(row, name)[part];
      if (v === undefined) return '-';
      return Number.isFinite(v) ? String(v) : 'unlimited';
    },
  };
}

export const UBC_FIELDS: readonly ListField[] = [
  ...UBC_PARAMS.flatMap((p) => [
    ...(p.name === 'numproc' ? [] : [field(p.name, 'held', '')]),
    field(p.name, 'maxheld', '.M'),
    field(p.name, 'barrier', '.B'),
    field(p.name, 'limit', '.L'),
    field(p.name, 'failcnt', '.F'),
  ]),
  {
    name: 'vswap',
    header: 'VSWAP',
    width: 5,
    get: (row) => Number.isFinite(row.config.get(ubcKey('physpages'))?.limit ?? UNLIMITED),
    text: (row) => (Number.isFinite(row.config.get(ubcKey('physpages'))?.limit ?? UNLIMITED) ? 'yes' : 'no'),
  },
];
