/**
 * @vzkit/seccomp — a seccomp filter on every process of a VE (SECCOMP, `--seccomp
 * default|off`): the calls of {@link DEFAULT_DENY} fail with EPERM.
 * @packageDocumentation
 */
export { seccompPlugin, SECCOMP, type SeccompSetting } from './plugin.js';
export { DEFAULT_DENY, type DeniedCall } from './profile.js';
