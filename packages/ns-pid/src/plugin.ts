/**
 * ns-pid: the VE's own PID namespace, in which its init is PID 1 (the guest's halt
 * and reboot end only that namespace), the clean halt of `vzctl stop`, and the tools
 * that find a VE's processes from the host: vzpid, vzps, vztop.
 */
import { definePlugin } from '@vzkit/core';
import { STOP_TIMEOUT } from './config.js';
import { haltInit } from './halt.js';
import { vzpidCommand } from './vzpid.js';
import { vzpsCommand } from './vzps.js';
import { vztopCommand } from './vztop.js';

/** The ns-pid plugin: PID namespace, STOP_TIMEOUT, the guest's clean halt on stop, vzpid/vzps/vztop. */
export const nsPidPlugin = definePlugin({
  name: '@vzkit/ns-pid',
  configKeys: [STOP_TIMEOUT],
  commands: [vzpidCommand, vzpsCommand, vztopCommand],
  hooks: {
    async prepare(_ctx, plan) {
      plan.namespaces.add('pid');
    },
    stop: haltInit,
  },
});
