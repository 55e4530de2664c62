/** The config keys ns-pid owns. */
import { defineKey, integer } from '@vzkit/core';

/**
 * Seconds `vzctl stop` waits for the guest to halt before everything is killed. The
 * upper bound keeps the wait within what a Node timer can hold (2^31-1 ms).
 */
export const STOP_TIMEOUT = defineKey({
  name: 'STOP_TIMEOUT',
  flag: 'stop-timeout',
  type: integer({ min: 0, max: 2_147_483 }),
  live: true,
  saveOnly: true,
  description: 'Seconds to wait for the VE to halt on stop before it is killed (0 = default, 120)',
});
