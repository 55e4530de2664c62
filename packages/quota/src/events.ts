/** The events the quota plugin adds to the runtime's bus (core's `VzEvents`, extended). */
declare module '@vzkit/core' {
  interface VzEvents {
    /**
     * A VE's disk usage reached a limit (`soft`: over the soft limit, `hard`: no room
     * left under the hard one); said once per crossing, seen by a daemon's sampling.
     * Units: bytes for diskspace, inodes for diskinodes.
     */
    'quota:limit': [ctid: number, resource: 'diskspace' | 'diskinodes', level: 'soft' | 'hard', used: number, limit: number];
  }
}

export {};
