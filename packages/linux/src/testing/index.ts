/**
 * Test helpers on the real kernel: VEs made by the plugins under test with a host shell
 * script as init, everything under a temp VZKIT_ROOT and our own cgroup. For
 * integration tests (root); see {@link linuxVe}.
 * @packageDocumentation
 */
export { haltingInit, linuxHost, linuxVe, stubbornInit, unifiedHost, type LinuxVe } from './linux-ve.js';
