/**
 * koffi, loaded on first use. Its native module costs some 10 ms to load, which a
 * command that never calls C through it (vzctl exec, status, most of set, vzlist) should
 * not pay; importing @vzkit/linux loads nothing native.
 */
import { createRequire } from 'node:module';
import type * as Koffi from 'koffi';

let loaded: typeof Koffi | undefined;

export function koffi(): typeof Koffi {
  return (loaded ??= createRequire(import.meta.url)('koffi') as typeof Koffi);
}

/** Whether koffi is loaded already: what can use it for free then, and need not otherwise. */
export function koffiLoaded(): boolean {
  return loaded !== undefined;
}
