/**
 * CTIDs: integers 1..2147483644 (OpenVZ's range). 0 is the host and never a VE;
 * ids up to 100 are reserved by OpenVZ and accepted with a warning. Parsed before any
 * path is built from them.
 */
import { vzError } from './errors.js';

export const CTID_MAX = 2147483644;
export const CTID_RESERVED_MAX = 100;

export function parseCtid(raw: string): number {
  if (!/^\d+$/.test(raw)) {
    throw vzError('BAD_PARAM', `CT ID ${JSON.stringify(raw)} is invalid: a CTID is a number from 1 to ${CTID_MAX} or a name set with --name`);
  }
  const n = Number(raw);
  if (n === 0) throw vzError('BAD_PARAM', 'CT ID 0 is the host itself, not a container', { hint: `use a CTID from 101 to ${CTID_MAX}` });
  if (n > CTID_MAX) throw vzError('BAD_PARAM', `CT ID ${raw} is invalid: the largest CTID is ${CTID_MAX}`);
  return n;
}

export function isReservedCtid(ctid: number): boolean {
  return ctid <= CTID_RESERVED_MAX;
}
