/**
 * @vzkit/seccomp — a seccomp filter on every process of a VE (SECCOMP, `--seccomp
 * default|off`): the calls of {@link DEFAULT_DENY} fail with EPERM, and
 * {@link NESTING_RULES} refuse nested user namespaces unless NESTING (`--nesting yes`)
 * allows them.
 * @packageDocumentation
 */
export { seccompPlugin } from './plugin.js';
export { SECCOMP, NESTING, type SeccompSetting } from './config.js';
export { seccompOp } from './plan.js';
export { DEFAULT_DENY, NESTING_RULES, CLONE_NEWUSER, type DeniedCall } from './profile.js';
