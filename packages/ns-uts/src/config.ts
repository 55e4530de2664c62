/** The config keys ns-uts owns. */
import { defineKey, type ValueType } from '@vzkit/core';

/**
 * Takes any text: a bad hostname is refused by the plugin's `validate` with BAD_HOSTNAME
 * (vzctl's exit 70), which a parse error (always BAD_VALUE) could not give.
 */
const hostnameText: ValueType<string> = {
  arg: 'NAME',
  parse: (raw) => raw,
  format: (v) => v,
};

/** The VE's hostname, set in its UTS namespace at start and live by `set --hostname`. */
export const HOSTNAME = defineKey({
  name: 'HOSTNAME', identity: true,
  flag: 'hostname',
  type: hostnameText,
  live: true,
  description: 'Hostname of the VE (RFC 1123, at most 64 characters)',
});
