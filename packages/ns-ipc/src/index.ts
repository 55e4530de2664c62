/**
 * @vzkit/ns-ipc — the VE's IPC namespace: its own SysV IPC objects and POSIX message
 * queues, with their /proc/sys limits writable inside.
 * @packageDocumentation
 */
export { nsIpcPlugin, IPC_SYSCTLS } from './plugin.js';
