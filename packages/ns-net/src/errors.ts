/**
 * The network's failures with vzctl's exit numbers (include/vzerror.h), so scripts
 * written for OpenVZ read them the same way.
 */
import { errorTable } from '@vzkit/core';

export const NET_EXITS = {
  /** An address, route or link could not be set up. */
  CANT_ADDIP: 34,
  BAD_IP: 71,
  BAD_NAMESERVER: 72,
  BAD_SEARCHDOMAIN: 73,
  /** The address belongs to the host or to another running VE. */
  IP_INUSE: 78,
  /** A veth interface (or the venet pair's host end) could not be made or is not the VE's. */
  VETH_ERROR: 130,
} as const;

export type NetErrorCode = keyof typeof NET_EXITS;

export const netError = errorTable(NET_EXITS);

/** For a value type's ValueError: the code and its exit. */
export const netCode = (code: NetErrorCode) => ({ code, exit: NET_EXITS[code] });
