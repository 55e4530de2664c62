/**
 * The events vzkitd adds to the bus (core's `VzEvents`, extended as plugins do): what
 * its supervision saw and did. The core's `ve:stopped` follows each of the first three
 * once the VE is cleaned up (and `ve:starting`/`ve:started` a reboot's start).
 */
declare module '@vzkit/core' {
  interface VzEvents {
    /** The guest rebooted (its init ended with SIGHUP): the VE is started again. */
    'vzkitd:reboot': [ctid: number];
    /** The guest halted or powered off (SIGINT): the VE is stopped, nothing killed. */
    'vzkitd:halt': [ctid: number];
    /** Init ended otherwise (`exit 1`, `signal SIGKILL`), or how is unknown (`unknown`: not vzkitd's child). */
    'vzkitd:exit': [ctid: number, how: string];
    /** A start at boot (ONBOOT), done or failed (`error` is vzctl's message). */
    'vzkitd:boot': [ctid: number, ok: boolean, error?: string];
    /** Supervision gave up on a VE (a reboot loop, a start that failed after a reboot). */
    'vzkitd:gave-up': [ctid: number, why: string];
  }
}

export {};
