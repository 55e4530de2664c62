/**
 * ns-pid: the VE's own PID namespace, in which its init is PID 1 (the guest's halt
 * and reboot end only that namespace), and the clean halt of `vzctl stop`.
 */
import { definePlugin } from '@vzkit/core';
import { STOP_TIMEOUT } from './config.js';
import { haltInit } from './halt.js';

/** The ns-pid plugin: PID namespace, STOP_TIMEOUT, the guest's clean halt on stop. */
export const nsPidPlugin = definePlugin({
  name: '@vzkit/ns-pid',
  configKeys: [STOP_TIMEOUT],
  hooks: {
    async prepare(_ctx, plan) {
      plan.namespaces.add('pid');
    },
    stop: haltInit,
  },
});
