/** The capabilities a VE's root loses, from CAPABILITY and the kind of VE. Pure. */
import type { CapSetting } from './config.js';
import { CAPABILITIES, DEFAULT_OFF, HOST_ROOT_OFF } from './names.js';

/**
 * The capabilities (numbers) to drop for a CAPABILITY setting; `hostRoot`: the VE has no
 * user namespace of its own (its root is the host's root).
 */
export function droppedCaps(setting: CapSetting | undefined, opts: { hostRoot?: boolean } = {}): number[] {
  const off = new Set([...DEFAULT_OFF, ...(opts.hostRoot ? HOST_ROOT_OFF : [])]);
  for (const [name, on] of setting ?? []) {
    if (on) off.delete(name);
    else off.add(name);
  }
  return [...off].map((n) => CAPABILITIES[n]!).sort((a, b) => a - b);
}
