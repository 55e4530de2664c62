/**
 * ns-ipc: the VE's own IPC namespace. SysV shared memory, message queues, semaphores
 * and POSIX message queues are per namespace, and so are their /proc/sys limits, which
 * therefore stay writable inside. Mounting /dev/shm and /dev/mqueue is ns-fs's work.
 */
import { definePlugin } from '@vzkit/core';

/** /proc/sys keys (relative to /proc/sys) that belong to the IPC namespace. */
export const IPC_SYSCTLS: readonly string[] = [
  'kernel/shmmax', 'kernel/shmall', 'kernel/shmmni', 'kernel/shm_rmid_forced',
  'kernel/msgmax', 'kernel/msgmnb', 'kernel/msgmni',
  'kernel/sem',
  // POSIX message queue limits (queues_max, msg_max, msgsize_max, msg_default, msgsize_default).
  'fs/mqueue',
];

/** The ns-ipc plugin: IPC namespace and its writable /proc/sys keys. */
export const nsIpcPlugin = definePlugin({
  name: '@vzkit/ns-ipc',
  hooks: {
    async prepare(_ctx, plan) {
      plan.namespaces.add('ipc');
      for (const key of IPC_SYSCTLS) plan.writableProcSys.add(key);
    },
  },
});
