/**
 * The events ubc adds to the runtime's bus: core's `VzEvents` is an interface that
 * each plugin extends with its own, so subscribers get them typed wherever ubc is
 * composed (`rt.events.on('ubc:failcnt', ...)`).
 */
declare module '@vzkit/core' {
  interface VzEvents {
    /** A beancounter's fail count grew (seen when ubc reads the counters: vzubc, vzlist, a daemon's sampling). */
    'ubc:failcnt': [ctid: number, resource: string, failcnt: number];
    /** The OOM killer killed `kills` processes of the VE since the last sample (`total` in this run); seen by a daemon's sampling. */
    'ubc:oom': [ctid: number, kills: number, total: number];
  }
}

export {};
